import { runLab } from '../src';
import { failingSku } from '../src/labs/failing-sku';

describe('lab: one SKU fails now and then', () => {
  it('when inventory-failing-sku is on, then only orders holding it fail, on an inventory span in error naming the SKU, and none once off', async () => {
    const report = await runLab(failingSku);
    const answers = (phase: string) =>
      report.observations.find((entry) => entry.phase === phase && entry.what === 'answers')?.seen;
    expect(answers('symptom')).toMatch(/502/);
    expect(answers('recovery')).toBe('CONFIRMED, CONFIRMED, CONFIRMED');
  });
});
