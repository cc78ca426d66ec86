import { INSTRUMENTATION_VARIANTS, PROFILE_VARIANTS, roundOrder } from '../src/experiments';

describe('roundOrder', () => {
  it('runs the variants as listed in odd rounds and reversed in even ones, keeping their indexes', () => {
    expect(roundOrder(['a', 'b', 'c'], 1)).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    expect(roundOrder(['a', 'b', 'c'], 2)).toEqual([
      [2, 'c'],
      [1, 'b'],
      [0, 'a'],
    ]);
    expect(roundOrder(['a', 'b', 'c'], 3)).toEqual(roundOrder(['a', 'b', 'c'], 1));
  });
});

describe('the variants', () => {
  it('profiles both ends of the tax and the SDK with no library patched', () => {
    expect(PROFILE_VARIANTS.map((v) => [v.name, v.telemetry, v.env])).toEqual([
      ['off', 'off', undefined],
      ['on', 'on', undefined],
      ['on, no instrumentations', 'on', { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'none' }],
    ]);
  });

  it('names every variant once', () => {
    const names = INSTRUMENTATION_VARIANTS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
