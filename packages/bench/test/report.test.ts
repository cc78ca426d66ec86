import type { ArmResult } from '../src/arm';
import { pairsOf, runDefects } from '../src/report';

function arm(overrides: Partial<ArmResult> & Pick<ArmResult, 'arm' | 'pair'>): ArmResult {
  const load = {
    rate: 10,
    durationS: 1,
    sent: 10,
    accepted: 10,
    failedShare: 0,
    p50Ms: 1,
    p90Ms: 1,
    p99Ms: 1,
    maxMs: 1,
    codes: {},
  };
  return {
    search: { sustained: 10, steps: [] },
    steps: [],
    half: load,
    peak: load,
    cpuPerThousand: {},
    peakRssBytes: {},
    eventsPerSecond: { produced: 1, groups: {} },
    lag: {
      samples: [
        { t: 0, produced: 0, groups: {} },
        { t: 1, produced: 1, groups: {} },
      ],
      peakFrom: 0,
      peakTo: 1,
      groups: [],
    },
    spans:
      overrides.arm === 'on'
        ? { accepted: 5, refused: 0, ended: 5, dropped: 0, exportFailed: 0 }
        : undefined,
    ...overrides,
  };
}

describe('pairsOf', () => {
  it('pairs the arms of each pair and leaves out a pair missing an arm', () => {
    const arms = [
      arm({ arm: 'off', pair: 1 }),
      arm({ arm: 'on', pair: 1 }),
      arm({ arm: 'off', pair: 2 }),
    ];
    expect(pairsOf(arms).map(({ on, off }) => [on.pair, off.pair])).toEqual([[1, 1]]);
  });
});

describe('runDefects', () => {
  it('finds nothing wrong with a run that measured everything', () => {
    expect(runDefects([arm({ arm: 'off', pair: 1 }), arm({ arm: 'on', pair: 1 })])).toEqual([]);
  });

  it('reports an arm without accepted orders, without lag samples, or whose spans never arrived', () => {
    const off = arm({ arm: 'off', pair: 1 });
    const defects = runDefects([
      { ...off, peak: { ...off.peak, accepted: 0 }, lag: { ...off.lag, samples: [] } },
      arm({
        arm: 'on',
        pair: 1,
        spans: { accepted: 0, refused: 0, ended: 40, dropped: 0, exportFailed: 0 },
      }),
    ]);
    expect(defects).toEqual([
      'pair 1 off: no order accepted at the peak rate',
      'pair 1 off: consumer lag not sampled',
      'pair 1 on: no span counted at the collector or in the SDK',
    ]);
  });

  it('reports a run without a complete pair', () => {
    expect(runDefects([arm({ arm: 'on', pair: 1 })])).toEqual(['no complete on/off pair']);
  });
});
