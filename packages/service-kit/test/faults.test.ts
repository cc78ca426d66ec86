import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mesh/telemetry';
import { DEFAULT_FLAGS_FILE, type Faults, startFaults } from '../src/faults';

const logger = createLogger({ level: 'silent' });

/** A copy of the repository's flag file, switched the way `pnpm fault` does it. */
function flagFileCopy() {
  const file = join(mkdtempSync(join(tmpdir(), 'mesh-flags-')), 'mesh.flagd.json');
  copyFileSync(DEFAULT_FLAGS_FILE, file);
  return {
    file,
    switchTo(flag: string, variant: string | null) {
      const document = JSON.parse(readFileSync(file, 'utf8'));
      document.flags[flag].defaultVariant = variant;
      writeFileSync(`${file}.tmp`, JSON.stringify(document));
      renameSync(`${file}.tmp`, file);
    },
  };
}

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
    expect(await faults.enabled('broken-propagation-order-payment')).toBe(false);
    expect(await faults.enabled('inventory-cache-bypass')).toBe(false);
    expect(await faults.number('inventory-sku-error-rate', 0)).toBe(0);
  });

  it('when a flag is switched in the file, then the running reader sees it without a restart', async () => {
    const flags = flagFileCopy();
    faults = await startFaults({ file: flags.file, logger });
    const running = faults;

    flags.switchTo('payment-latency-ms', 'on');
    flags.switchTo('inventory-cache-bypass', 'on');
    expect(await eventually(() => running.number('payment-latency-ms', 120), 800)).toBe(800);
    expect(await running.enabled('inventory-cache-bypass')).toBe(true);

    flags.switchTo('payment-latency-ms', null);
    expect(await eventually(() => running.number('payment-latency-ms', 120), 120)).toBe(120);
  }, 40_000);

  it('when the flag file is missing, then the service still starts with every fault off', async () => {
    faults = await startFaults({ file: join(tmpdir(), 'no-such-dir', 'flags.json'), logger });
    expect(await faults.number('payment-latency-ms', 120)).toBe(120);
    expect(await faults.enabled('inventory-cache-bypass')).toBe(false);
  });
});
