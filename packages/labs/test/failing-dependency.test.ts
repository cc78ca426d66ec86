import { runLab } from '../src';
import { failingDependency } from '../src/labs/failing-dependency';

describe('lab: find the failing dependency', () => {
  it('when payment-decline-rate is all, then every order fails on an error charge span, and confirms again when off', async () => {
    const report = await runLab(failingDependency);
    const symptom = report.observations.find(
      (observation) => observation.phase === 'symptom' && observation.what === 'order statuses',
    );
    expect(symptom?.seen).toBe('PAYMENT_FAILED, PAYMENT_FAILED, PAYMENT_FAILED');
  });
});
