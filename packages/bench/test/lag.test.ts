import { lagOf } from '../src/lag';
import { eventRates } from '../src/session';

describe('lagOf', () => {
  it('sums end − committed over partitions; a partition never committed counts from 0', () => {
    const ends = new Map([
      [0, 100],
      [1, 50],
      [2, 10],
    ]);
    // kafkajs answers -1 for a partition without a committed offset
    const committed = new Map([
      [0, 90],
      [1, -1],
    ]);
    expect(lagOf(ends, committed)).toEqual({ committed: 90, lag: 10 + 50 + 10 });
  });
});

describe('eventRates', () => {
  const samples = [
    { t: 0, produced: 0, groups: { g: { committed: 0, lag: 0 } } },
    { t: 1, produced: 100, groups: { g: { committed: 50, lag: 50 } } },
    { t: 3, produced: 300, groups: { g: { committed: 150, lag: 150 } } },
    { t: 5, produced: 500, groups: { g: { committed: 300, lag: 200 } } },
  ];

  it('gives produced and processed per second between the first and last sample of the window', () => {
    expect(eventRates(samples, 1, 5, ['g'])).toEqual({ produced: 100, groups: { g: 62.5 } });
  });

  it('is NaN when the window holds fewer than two samples', () => {
    expect(eventRates(samples, 4, 5, ['g']).produced).toBeNaN();
  });
});
