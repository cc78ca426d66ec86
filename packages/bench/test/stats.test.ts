import { median, pairRatios, percentile, spread } from '../src/stats';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('is NaN without values', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('ratios over pairs', () => {
  it('gives on ÷ off per pair and the spread of them', () => {
    const ratios = pairRatios([
      { on: 90, off: 100 },
      { on: 110, off: 100 },
      { on: 100, off: 80 },
    ]);
    expect(ratios).toEqual([0.9, 1.1, 1.25]);
    expect(spread(ratios)).toEqual({ min: 0.9, median: 1.1, max: 1.25, values: ratios });
  });

  it('leaves a pair with a zero denominator out of the statistics but in the values', () => {
    const ratios = pairRatios([
      { on: 50, off: 0 },
      { on: 1, off: 2 },
      { on: 3, off: 2 },
    ]);
    expect(ratios[0]).toBeNaN();
    const s = spread(ratios);
    expect([s.min, s.median, s.max]).toEqual([0.5, 1, 1.5]);
    expect(s.values).toHaveLength(3);
  });

  it('takes the mean of the middle two for an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
