import { runLab } from '../src';
import { cacheBypass } from '../src/labs/cache-bypass';

describe('lab: the cache nobody uses', () => {
  it('when inventory-cache-bypass is on, then every product read is a SELECT and no Redis get, and reads hit Redis again once off', async () => {
    const report = await runLab(cacheBypass);
    const reads = (phase: string) =>
      report.observations.find(
        (entry) => entry.phase === phase && entry.what === 'inventory spans per read',
      )?.seen;
    expect(reads('symptom')).toBe(Array(3).fill('1 SELECT, 0 Redis get, hit=false').join('; '));
    expect(reads('recovery')).toMatch(/0 SELECT, 1 Redis get, hit=true$/);
  });
});
