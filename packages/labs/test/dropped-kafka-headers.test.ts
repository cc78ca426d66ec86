import { runLab } from '../src';
import { droppedKafkaHeaders } from '../src/labs/dropped-kafka-headers';

describe('lab: Kafka headers dropped', () => {
  it("when order-kafka-headers-dropped is on, then inventory's and notification's CONSUMER spans are roots of traces of their own, and back in the order's trace when off", async () => {
    const report = await runLab(droppedKafkaHeaders);
    const phases = new Set(report.observations.map((observation) => observation.phase));
    expect([...phases]).toEqual(['baseline', 'symptom', 'recovery']);
    const consumers = report.observations.filter(
      (observation) =>
        observation.phase === 'symptom' && observation.what.includes('CONSUMER span of event'),
    );
    expect(consumers.map((observation) => observation.seen)).toEqual([
      expect.stringContaining('its root'),
      expect.stringContaining('its root'),
    ]);
  });
});
