import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mesh/telemetry';
import { flagFileCopy } from '@mesh/testkit';
import { DEFAULT_FLAGS_FILE } from '../src/config-specs';
import { type Faults, startFaults } from '../src/faults';

const logger = createLogger({ level: 'silent' });

async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

describe('fault flags', () => {
  let faults: Faults | undefined;
  afterEach(async () => {
    await faults?.close();
    faults = undefined;
  });

  it('when the repository flag file is read, then every fault is off and number flags give the setting', async () => {
    faults = await startFaults({ file: DEFAULT_FLAGS_FILE, logger });
    expect(await faults.number('payment-latency-ms', 120)).toBe(120);
    expect(await faults.number('payment-decline-rate', 0.05)).toBe(0.05);
  });

  it('when a flag is switched in the file, then the running reader sees it without a restart', async () => {
    const flags = flagFileCopy();
    faults = await startFaults({ file: flags.file, logger });
    const running = faults;

    flags.switchTo('payment-latency-ms', 'on');
    flags.switchTo('payment-decline-rate', 'all');
    expect(await eventually(() => running.number('payment-latency-ms', 120), 800)).toBe(800);
    expect(await running.number('payment-decline-rate', 0.05)).toBe(1);

    flags.switchTo('payment-latency-ms', null);
    expect(await eventually(() => running.number('payment-latency-ms', 120), 120)).toBe(120);
  }, 40_000);

  it('when the flag file is missing, then the service still starts with every fault off', async () => {
    faults = await startFaults({ file: join(tmpdir(), 'no-such-dir', 'flags.json'), logger });
    expect(await faults.number('payment-latency-ms', 120)).toBe(120);
  });
});
