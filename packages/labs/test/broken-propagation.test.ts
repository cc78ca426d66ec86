import { runLab } from '../src';
import { brokenPropagation } from '../src/labs/broken-propagation';

describe('lab: a broken propagation', () => {
  it("when order-payment-propagation-broken is on, then payment's spans leave the order's trace for one rooted at order's CLIENT span, and come back when off", async () => {
    const report = await runLab(brokenPropagation);
    const phases = new Set(report.observations.map((observation) => observation.phase));
    expect([...phases]).toEqual(['baseline', 'symptom', 'recovery']);
    const rootedInOrder = report.observations.find(
      (observation) =>
        observation.phase === 'symptom' &&
        observation.what === 'traces whose root is an order span',
    );
    expect(Number(rootedInOrder?.seen)).toBeGreaterThan(0);
  });
});
