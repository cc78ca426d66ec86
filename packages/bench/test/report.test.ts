import type { ArmResult } from '../src/arm';
import {
  type FixedRateResult,
  INSTRUMENTATION_VARIANTS,
  type InstrumentationExperiment,
  PROFILE_VARIANTS,
  type ProfiledResult,
  type ProfileExperiment,
  type ScalingExperiment,
} from '../src/experiments';
import { PROFILES } from '../src/profiles';
import { experimentDefects, pairsOf, type Run, renderReport, runDefects } from '../src/report';

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

/** A run of one on/off pair, for the experiments' sections to be added to. */
function tinyRun(): Run {
  return {
    profile: PROFILES.short,
    machine: { cores: 2, cpuModel: 'test', node: 'v24', postgres: '15', kafka: '4', vegeta: '12' },
    startedAt: '2026-01-01T00:00:00Z',
    durationS: 1,
    arms: [arm({ arm: 'off', pair: 1 }), arm({ arm: 'on', pair: 1 })],
  };
}

/** A fixed-rate measurement's load: 100 orders accepted in 10 s. */
const load = {
  rate: 10,
  durationS: 10,
  sent: 100,
  accepted: 100,
  failedShare: 0,
  p50Ms: 5,
  p90Ms: 8,
  p99Ms: 12,
  maxMs: 20,
  codes: {},
};

describe('the instrumentation and scaling sections', () => {
  /** A fixed-rate result whose five services used `perService` CPU-s per 1000 orders each. */
  const fixed = (variant: string, round: number, perService: number): FixedRateResult => ({
    variant,
    round,
    instances: {},
    measurement: {
      load,
      cpuPerThousand: {
        gateway: perService,
        order: perService,
        payment: perService,
        inventory: perService,
        notification: perService,
        collector: 1,
      },
      eventsPerSecond: { produced: 20, groups: { 'x.inventory': 20, 'x.notification': 10 } },
      lagFrom: 0,
      lagTo: 10,
    },
    lag: { 'x.inventory': { p99: 0, last: 0 }, 'x.notification': { p99: 90, last: 100 } },
    peakRssBytes: { notification: 100 * 2 ** 20 },
  });
  const variants = INSTRUMENTATION_VARIANTS.filter((v) =>
    ['off', 'on', 'on, without pg'].includes(v.name),
  );
  const run: Run = {
    ...tinyRun(),
    instrumentation: {
      startedAt: '2026-01-01T00:00:00Z',
      durationS: 1,
      rate: 10,
      measureSeconds: 10,
      variants,
      // Services: off 5, on 15, without pg 12 (rounds 11 and 13): pg is 3 of the 10 the SDK adds.
      results: [
        fixed('off', 1, 1),
        fixed('on', 1, 3),
        fixed('on, without pg', 1, 2.2),
        fixed('off', 2, 1),
        fixed('on', 2, 3),
        fixed('on, without pg', 2, 2.6),
      ],
    },
    scaling: {
      startedAt: '2026-01-01T00:00:00Z',
      durationS: 1,
      consumers: {
        rate: 10,
        measureSeconds: 10,
        variants: [],
        results: [fixed('2 consumers', 1, 1)],
      },
      orders: { variants: [], results: [] },
    },
  };

  it('gives each part its saving against on and its share of the tax, median over rounds', () => {
    const text = renderReport(run, { latency: 'l.svg', lag: 'g.svg' });
    const pgRow = text.split('\n').find((line) => line.startsWith('| on, without pg |'));
    expect(pgRow).toContain('| 12.00 | 11.00, 13.00 | 3.00 | 30 % |');
    expect(text).toContain('| 2 consumers | 10.0 | 20.0 | 20.0 | 10.0 | 0.50 | 90 / 100 |');
  });

  it('reports fixed-rate measurements without accepted orders or processed events', () => {
    const broken = fixed('on', 1, 3);
    broken.measurement.load = { ...load, accepted: 0 };
    broken.measurement.eventsPerSecond = { produced: 0, groups: { 'x.inventory': 0 } };
    expect(
      experimentDefects({
        instrumentation: {
          ...(run.instrumentation as InstrumentationExperiment),
          results: [broken],
        },
        scaling: {
          ...(run.scaling as ScalingExperiment),
          consumers: { rate: 1, measureSeconds: 1, variants: [], results: [broken] },
        },
      }),
    ).toEqual([
      'on (round 1): no order accepted',
      'on (round 1): no order accepted',
      'on: no event processed',
    ]);
    expect(experimentDefects(run)).toEqual([]);
  });
});

describe('the CPU profile section', () => {
  /** Every service took `samples` in each origin and used 2 CPU-s per 1000 orders in all. */
  const profiled = (variant: string, round: number, samples: Record<string, number>) => ({
    variant,
    round,
    measurement: {
      load,
      cpuPerThousand: { gateway: 2, order: 2, payment: 2, inventory: 2, notification: 2 },
      eventsPerSecond: { produced: 10, groups: {} },
      lagFrom: 0,
      lagTo: 10,
    },
    profiled: Object.fromEntries(
      ['gateway', 'order', 'payment', 'inventory', 'notification'].map((name) => [name, samples]),
    ),
    functions: Object.fromEntries(
      ['gateway', 'order', 'payment', 'inventory', 'notification'].map((name) => [
        name,
        samples['@opentelemetry/api']
          ? { '@opentelemetry/api startSpan': 30, '@opentelemetry/api end': 10 }
          : {},
      ]),
    ),
  });
  const run: Run = {
    ...tinyRun(),
    cpuProfile: {
      startedAt: '2026-01-01T00:00:00Z',
      durationS: 1,
      rate: 10,
      measureSeconds: 10,
      variants: [...PROFILE_VARIANTS],
      results: [
        profiled('off', 1, { pg: 20, 'node:events': 10 }),
        profiled('on', 1, { pg: 20, 'node:events': 30, '@opentelemetry/api': 40 }),
        profiled('on, no instrumentations', 1, {
          pg: 20,
          'node:events': 10,
          '@opentelemetry/api': 10,
        }),
      ],
    },
  };

  it("shares each service's CPU out by its samples, by kind, and ranks origins by what telemetry added", () => {
    const lines = renderReport(run, { latency: 'l.svg', lag: 'g.svg' }).split('\n');
    // on: 40 of 90 samples in each service's 2 CPU-s are OpenTelemetry's, 5 × 2 × 40/90 = 4.44.
    expect(lines).toContain('| OpenTelemetry packages | 0.00 | 4.44 | 2.50 | 4.44 |');
    expect(lines).toContain('| Node.js core | 3.33 | 3.33 | 2.50 | 0.00 |');
    expect(lines).toContain('| **all** | 10.00 | 10.00 | 10.00 | 0.00 |');
    const ranked = lines.filter((line) =>
      /^\| (@opentelemetry\/api|node:events|pg) \| [-\d]/.test(line),
    );
    expect(ranked).toEqual([
      '| @opentelemetry/api | 0.00 | 4.44 | 2.50 | 4.44 |',
      '| node:events | 3.33 | 3.33 | 2.50 | 0.00 |',
      '| pg | 6.67 | 2.22 | 5.00 | -4.44 |',
    ]);
    // Out of all 90 samples of each service, not of OpenTelemetry's 40 alone.
    expect(lines).toContain('| @opentelemetry/api | `startSpan` | 3.33 |');
    expect(lines).toContain('| @opentelemetry/api | `end` | 1.11 |');
  });

  it('reports a service whose profile is missing', () => {
    const cpuProfile = run.cpuProfile as ProfileExperiment;
    const first = cpuProfile.results[0] as ProfiledResult;
    const { order: _, ...withoutOrder } = first.profiled;
    expect(
      experimentDefects({
        cpuProfile: { ...cpuProfile, results: [{ ...first, profiled: withoutOrder }] },
      }),
    ).toEqual(['off (round 1): no CPU profile from order']);
    expect(experimentDefects(run)).toEqual([]);
  });
});
