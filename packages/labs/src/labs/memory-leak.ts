import { api } from '@mesh/e2e';
import type { LabRun } from '../lab';
import { type Lab, LabFailed } from '../lab';

const HEAP_METRIC = 'v8js.memory.heap.used';
const GC_METRIC = 'v8js.gc.duration';
const MiB = 1024 * 1024;
/** Requests per phase: about 29 MiB kept while the fault is on (it keeps at most 320). */
const REQUESTS = 300;

/** The latest export of one of the gateway's runtime metrics. */
function latestGatewayMetric(run: LabRun, name: string) {
  return run.env.capture
    .metrics()
    .filter((metric) => metric.serviceName === 'gateway' && metric.name === name)
    .at(-1);
}

/** The gateway's heap in its latest export: all spaces, and the old space where a leak ends up. */
function heap(run: LabRun): { total: number; old: number } {
  const latest = latestGatewayMetric(run, HEAP_METRIC);
  if (!latest || latest.type === 'histogram')
    throw new LabFailed(`the gateway exported no ${HEAP_METRIC}`);
  let total = 0;
  let old = 0;
  for (const point of latest.dataPoints) {
    total += point.value;
    if (point.attributes['v8js.heap.space.name'] === 'old_space') old += point.value;
  }
  return { total, old };
}

/** How many garbage collections the gateway has run so far (the histogram's count). */
function collections(run: LabRun): number {
  const latest = latestGatewayMetric(run, GC_METRIC);
  if (latest?.type !== 'histogram') return 0;
  return latest.dataPoints.reduce((sum, point) => sum + point.count, 0);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Metrics are exported every second in a lab; this is one export and a margin. */
const nextExport = () => pause(2_500);

/** Browses the catalogue `requests` times, four at a time; returns the collections meanwhile. */
async function browse(run: LabRun, requests: number): Promise<number> {
  const before = collections(run);
  let next = 0;
  const browser = async () => {
    while (next < requests) {
      next += 1;
      const response = await api(run.env.stack, 'GET', '/api/products');
      run.expect(response.status === 200, `GET /api/products answered ${response.status}`);
    }
  };
  await Promise.all([browser(), browser(), browser(), browser()]);
  await nextExport();
  return collections(run) - before;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** After the baseline traffic, to compare the later phases with. */
const baseline = { old: 0, collections: 0 };

export const memoryLeak: Lab = {
  name: 'memory-leak',
  title: 'A memory leak',
  fault: { flag: 'gateway-memory-leak', variant: 'on' },
  readBy: ['gateway'],
  env: {
    gateway: {
      RATE_LIMIT_MAX: '1000000',
      // The heap cap compose gives every service: the old space fills, so V8 runs full
      // collections often, as it would in the container (uncapped, it may wait for minutes).
      NODE_OPTIONS: '--max-old-space-size=96',
    },
  },
  compose: {
    // Growth of the gateway's heap over its lowest point of the last 15 minutes.
    probe: {
      promql:
        'sum(v8js_memory_heap_used_bytes{job="gateway"}) - min_over_time(sum(v8js_memory_heap_used_bytes{job="gateway"})[15m:15s])',
      above: 15 * MiB,
    },
    orders: 250,
    // Services export metrics every 60 s in compose: wait for one export after the traffic.
    settleMs: 75_000,
  },

  async baseline(run: LabRun) {
    const gcs = await browse(run, REQUESTS);
    const { total, old } = heap(run);
    baseline.old = old;
    baseline.collections = gcs;
    run.note(`gateway heap after ${REQUESTS} requests`, `${mib(total)} (old space ${mib(old)})`);
    run.note('garbage collections meanwhile', gcs);
  },

  async symptom(run: LabRun) {
    const gcs = await browse(run, REQUESTS);
    const { total, old } = heap(run);
    run.note(
      `gateway heap after ${REQUESTS} more requests`,
      `${mib(total)} (old space ${mib(old)})`,
    );
    run.note('garbage collections meanwhile', gcs);
    run.expect(
      old - baseline.old >= 20 * MiB,
      `the old space should have grown by about 29 MiB, grew by ${mib(old - baseline.old)}`,
    );
    run.expect(
      gcs > baseline.collections,
      `the same traffic should take more garbage collections than with the fault off (${baseline.collections} off, ${gcs} on)`,
    );
  },

  async recovery(run: LabRun) {
    // The first request that finds the flag off lets go of the snapshots; the garbage
    // collector gives the memory back at its next full collection.
    const started = Date.now();
    await browse(run, 50);
    while (heap(run).old - baseline.old > 10 * MiB) {
      if (Date.now() - started > 30_000) {
        throw new LabFailed(
          `the old space should shrink back once the fault is off, is still ${mib(heap(run).old - baseline.old)} above the baseline`,
        );
      }
      await browse(run, 50);
    }
    const { total, old } = heap(run);
    run.note('gateway heap', `${mib(total)} (old space ${mib(old)})`);
    run.note('given back within', `${Math.round((Date.now() - started) / 1000)} s`);
  },
};
