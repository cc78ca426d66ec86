import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKafka, type TestKafka, uniqueName } from '@mesh/testkit';

const run = promisify(execFile);

describe('createKafka: start-up without kafkajs noise', () => {
  let broker: TestKafka;
  beforeAll(async () => {
    broker = await startKafka();
  });
  afterAll(() => broker?.stop());

  it('when a producer and a consumer start and a message goes through, then the process prints no kafkajs notice and no Node warning', async () => {
    // A process of its own: Node prints its warnings on stderr, as a service would.
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'kafka-start.ts')],
      {
        env: {
          ...process.env,
          BROKERS: broker.brokers.join(','),
          TOPIC: uniqueName('quiet'),
          GROUP: uniqueName('quiet'),
        },
        timeout: 50_000,
      },
    );
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string });

    expect(lines.map((line) => line.msg)).toContain('message went through');
    expect(lines.filter((line) => line.level !== 'info').map((line) => line.msg)).toEqual([]);
    expect(stdout).not.toMatch(/partitioner|EoS/i);
    expect(stderr).not.toMatch(/TimeoutNegativeWarning|Warning/);
    expect(stderr.trim()).toBe('');
  });
});
