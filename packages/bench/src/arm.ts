import type { ServiceName } from '@mesh/e2e';
import type { Sample } from '@mesh/workshop';
import type { BenchCollector } from './collector';
import type { LagSample } from './lag';
import { type BenchContext, type CostedProcess, withBenchSession } from './session';
import { type SearchResult, searchSustainedRate, withCooldown } from './step-search';
import type { LoadSummary } from './vegeta';

export type ArmName = 'on' | 'off';

export interface SpanDelivery {
  /** Spans the collector's OTLP receiver accepted from this arm's services. */
  accepted: number;
  refused: number;
  /** Spans the services' batch processors finished with (exported, failed or dropped). */
  ended: number;
  /** Of those, dropped because the queue was full. */
  dropped: number;
  /** Of those, whose export failed. */
  exportFailed: number;
}

export interface ArmResult {
  arm: ArmName;
  pair: number;
  search: SearchResult;
  /** Every search step's full summary, in the order run. */
  steps: LoadSummary[];
  half: LoadSummary;
  peak: LoadSummary;
  /** CPU-seconds per 1 000 accepted orders during the peak measurement. */
  cpuPerThousand: Partial<Record<CostedProcess, number>>;
  peakRssBytes: Partial<Record<ServiceName, number>>;
  /** Events per second each group processed and the topic received, during the peak measurement. */
  eventsPerSecond: { produced: number; groups: Record<string, number> };
  /** Lag samples of the whole arm, with the peak measurement's start and end (seconds). */
  lag: { samples: LagSample[]; peakFrom: number; peakTo: number; groups: string[] };
  /** Only for the telemetry-on arm. */
  spans?: SpanDelivery;
}

/**
 * One arm of the telemetry tax: the five services with the SDK preloaded exporting to the
 * collector (`on`) or not loaded at all (`off`), then warm-up, the step search, half the
 * sustained rate, and the sustained rate again while cost, lag and spans are counted.
 */
export async function runArm(
  arm: ArmName,
  pair: number,
  context: BenchContext,
): Promise<ArmResult> {
  const { profile, collector, log } = context;
  const id = `bench-${arm}-${pair}`;
  const acceptedBefore = await acceptedSpans(collector);
  return withBenchSession({ id, telemetry: arm }, context, async (session) => {
    await session.load(profile.warmup.rate, profile.warmup.seconds);
    const steps: LoadSummary[] = [];
    const search = await searchSustainedRate(
      profile.search,
      withCooldown(profile.search, profile.cooldownSeconds * 1000, async (rate) => {
        const step = await session.load(rate, profile.stepSeconds);
        steps.push(step);
        log(
          `  ${arm} ${pair}: ${rate}/s → p99 ${step.p99Ms.toFixed(0)} ms, failed ${(step.failedShare * 100).toFixed(1)} %`,
        );
        return { rate, p99Ms: step.p99Ms, failedShare: step.failedShare };
      }),
    );
    // Nothing sustained: the gentlest rate tried still shows cost, lag and spans under load.
    const peakRate = search.sustained || Math.min(...search.steps.map((step) => step.rate));
    const half = await session.load(Math.max(1, Math.round(peakRate / 2)), profile.measureSeconds);
    const peak = await session.measure(peakRate, profile.measureSeconds);
    const peakRssBytes = session.peakRssBytes();

    // The batch processors' last scheduled exports first, so that the reading of the SDK's own
    // metrics that stopping flushes counts every span; then the collector's last receipts.
    await new Promise((resolve) => setTimeout(resolve, profile.settleSeconds * 1000));
    await session.stopServices();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const spans = arm === 'on' ? await spanDelivery(collector, id, acceptedBefore) : undefined;
    return {
      arm,
      pair,
      search,
      steps,
      half,
      peak: peak.load,
      cpuPerThousand: peak.cpuPerThousand,
      peakRssBytes,
      eventsPerSecond: peak.eventsPerSecond,
      lag: {
        samples: [...session.lagSamples()],
        peakFrom: peak.lagFrom,
        peakTo: peak.lagTo,
        groups: [...session.groups],
      },
      spans,
    };
  });
}

async function acceptedSpans(collector: BenchCollector): Promise<number> {
  const own = await collector.ownMetrics();
  return own
    .filter((s) => s.name.startsWith('otelcol_receiver_accepted_spans'))
    .reduce((total, s) => total + s.value, 0);
}

async function spanDelivery(
  collector: BenchCollector,
  id: string,
  acceptedBefore: number,
): Promise<SpanDelivery> {
  const own = await collector.ownMetrics();
  const exported = (await collector.exportedMetrics()).filter((s: Sample) =>
    s.labels.instance?.startsWith(`${id}-`),
  );
  const processed = exported.filter((s) => s.name.startsWith('otel_sdk_processor_span_processed'));
  const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + s.value, 0);
  return {
    accepted:
      total(own.filter((s) => s.name.startsWith('otelcol_receiver_accepted_spans'))) -
      acceptedBefore,
    refused: total(own.filter((s) => s.name.startsWith('otelcol_receiver_refused_spans'))),
    ended: total(processed),
    dropped: total(processed.filter((s) => s.labels.error_type === 'queue_full')),
    exportFailed: total(
      processed.filter((s) => s.labels.error_type && s.labels.error_type !== 'queue_full'),
    ),
  };
}
