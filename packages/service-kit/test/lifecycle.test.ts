import { createLogger } from '@mesh/telemetry';
import { shutdown } from '../src';

const logger = createLogger({ level: 'silent' });

describe('shutdown', () => {
  it('when a step hangs or throws, then the later steps still run and the whole stays within the limits', async () => {
    const ran: string[] = [];
    const started = Date.now();
    const clean = await shutdown(
      [
        { name: 'server', close: () => ran.push('server') },
        { name: 'stuck consumer', close: () => new Promise(() => undefined), timeoutMs: 100 },
        {
          name: 'broken pool',
          close: () => {
            throw new Error('already closed');
          },
        },
        { name: 'redis', close: async () => ran.push('redis') },
      ],
      logger,
    );
    expect(ran).toEqual(['server', 'redis']);
    expect(clean).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('when every step closes, then shutdown reports a clean stop', async () => {
    await expect(
      shutdown([{ name: 'server', close: async () => undefined }], logger),
    ).resolves.toBe(true);
  });
});
