import { type SearchSettings, searchSustainedRate, withCooldown } from '../src/step-search';

const settings: SearchSettings = {
  start: 40,
  growth: 1.5,
  maxRate: 400,
  minRate: 5,
  refinements: 2,
  p99LimitMs: 250,
  maxFailedShare: 0.01,
};

/** A system whose p99 crosses the limit above `capacity` orders/s. */
const system = (capacity: number) => async (rate: number) => ({
  rate,
  p99Ms: rate <= capacity ? 100 : 900,
  failedShare: 0,
});

describe('searchSustainedRate', () => {
  it('grows until a step fails, then bisects between the last pass and the fail', async () => {
    const result = await searchSustainedRate(settings, system(100));
    // 40, 60, 90 pass; 135 fails; then 113 (halfway to 90) and 102 fail (capacity 100)
    expect(result.steps.map((s) => s.rate)).toEqual([40, 60, 90, 135, 113, 102]);
    expect(result.sustained).toBe(90);
  });

  it('narrows towards the capacity with more refinements', async () => {
    // after 102: 96 passes, 99 passes, 101 fails, 100 passes
    const result = await searchSustainedRate({ ...settings, refinements: 6 }, system(100));
    expect(result.steps.slice(6).map((s) => s.rate)).toEqual([96, 99, 101, 100]);
    expect(result.sustained).toBe(100);
  });

  it('stops at the cap when every step passes', async () => {
    const result = await searchSustainedRate({ ...settings, maxRate: 100 }, system(1000));
    expect(result.steps.map((s) => s.rate)).toEqual([40, 60, 90, 100]);
    expect(result.sustained).toBe(100);
  });

  it('halves the rate when the first step fails, then bisects', async () => {
    const result = await searchSustainedRate(settings, system(12));
    // 40, 20 fail; 10 passes; between 10 and 20: 15 fails, 13 fails
    expect(result.steps.map((s) => s.rate)).toEqual([40, 20, 10, 15, 13]);
    expect(result.sustained).toBe(10);
  });

  it('reports 0 when the floor fails too', async () => {
    const result = await searchSustainedRate(settings, system(2));
    expect(result.steps.map((s) => s.rate)).toEqual([40, 20, 10, 5]);
    expect(result.sustained).toBe(0);
  });

  it('fails a fast step that lost requests', async () => {
    const lossy = async (rate: number) => ({ rate, p99Ms: 50, failedShare: rate > 60 ? 0.05 : 0 });
    const result = await searchSustainedRate({ ...settings, refinements: 0 }, lossy);
    expect(result.sustained).toBe(60);
  });
});

describe('withCooldown', () => {
  const settings = {
    start: 10,
    growth: 2,
    maxRate: 100,
    minRate: 1,
    refinements: 0,
    p99LimitMs: 250,
    maxFailedShare: 0.01,
  };
  const timed = async (probe: () => Promise<unknown>) => {
    const started = performance.now();
    await probe();
    return performance.now() - started;
  };

  it('pauses after a failed step only, and passes the outcome on', async () => {
    const outcomes = {
      10: { rate: 10, p99Ms: 100, failedShare: 0 },
      20: { rate: 20, p99Ms: 900, failedShare: 0 },
    };
    const probe = withCooldown(settings, 300, async (rate) => outcomes[rate as 10 | 20]);

    expect(await timed(() => probe(10))).toBeLessThan(150);
    expect(await timed(() => probe(20))).toBeGreaterThanOrEqual(290);
    await expect(probe(10)).resolves.toEqual(outcomes[10]);
  });
});
