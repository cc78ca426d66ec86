import { runLab } from '../src';
import { relayStall } from '../src/labs/relay-stall';

describe('lab: the stalled outbox relay', () => {
  it('when order-relay-stalled is on, then orders confirm with no publish span while mesh.outbox.pending climbs, and the late publish joins each order trace when off', async () => {
    const report = await runLab(relayStall);
    const pending = report.observations.find(
      (observation) =>
        observation.phase === 'symptom' && observation.what === 'mesh.outbox.pending',
    );
    expect(Number(pending?.seen)).toBeGreaterThan(0);
    const late = report.observations.filter(
      (observation) => observation.phase === 'recovery' && observation.what.startsWith('stalled'),
    );
    expect(late).toHaveLength(2);
  });
});
