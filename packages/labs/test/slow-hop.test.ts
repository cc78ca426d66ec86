import { runLab } from '../src';
import { slowHop } from '../src/labs/slow-hop';

describe('lab: find the slow hop', () => {
  it('when payment-latency-ms is on, then the charge is the slow leaf of the order trace, and fast again when off', async () => {
    const report = await runLab(slowHop);
    const phases = new Set(report.observations.map((observation) => observation.phase));
    expect([...phases]).toEqual(['baseline', 'symptom', 'recovery']);
  });
});
