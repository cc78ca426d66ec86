import { runLab } from '../src';
import { slowConsumer } from '../src/labs/slow-consumer';

describe('lab: read consumer lag', () => {
  it('when notification-email-latency-ms is on, then the notification lag climbs with a steady trickle of orders, and drains once off', async () => {
    const report = await runLab(slowConsumer);
    const phases = new Set(report.observations.map((observation) => observation.phase));
    expect([...phases]).toEqual(['baseline', 'symptom', 'recovery']);
  });
});
