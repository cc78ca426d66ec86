import { runLab } from '../src';
import { nPlusOne } from '../src/labs/n-plus-one';

describe('lab: N+1 queries', () => {
  it('when inventory-n-plus-one is on, then a reservation of 3 products has 3 SELECTs on products where it had 1', async () => {
    const report = await runLab(nPlusOne);
    const selects = report.observations
      .filter((entry) => entry.what.startsWith('SELECTs on products'))
      .map((entry) => `${entry.phase} ${entry.seen}`);
    expect(selects).toEqual(['baseline 1', 'symptom 3', 'recovery 1']);
  });
});
