import { runLab } from '../src';
import { memoryLeak } from '../src/labs/memory-leak';

describe('lab: a memory leak', () => {
  it('when gateway-memory-leak is on, then the gateway heap grows with the requests, and shrinks back once off', async () => {
    const report = await runLab(memoryLeak);
    const phases = new Set(report.observations.map((observation) => observation.phase));
    expect([...phases]).toEqual(['baseline', 'symptom', 'recovery']);
  });
});
