import { api } from '@mesh/e2e';
import type { CapturedSpan } from '@mesh/otlp-capture';
import type { Lab, LabRun } from '../lab';

const READS = 3;

const isSelect = (span: CapturedSpan) => span.name.startsWith('pg.query:SELECT');
/** The ioredis instrumentation names a span after its command. */
const isRedisGet = (span: CapturedSpan) => span.name === 'get';

/**
 * Reads the lab's product through the gateway a few times, as `curl /api/products/<sku>` does,
 * and returns what inventory did for each read.
 */
async function productReads(run: LabRun) {
  const reads: { selects: number; redisGets: number; cacheHit: unknown }[] = [];
  for (let index = 0; index < READS; index += 1) {
    const response = await api(run.env.stack, 'GET', `/api/products/${run.sku}`);
    run.expect(response.status === 200, `GET /api/products/${run.sku} answered ${response.status}`);
    const traceId = response.headers.get('x-trace-id') ?? '';
    // The request's span carries mesh.cache.hit and ends after the queries under it.
    const spans = await run.trace(traceId, (trace) =>
      trace.some((span) => span.attributes['mesh.cache.hit'] !== undefined),
    );
    const inventory = spans.filter((span) => span.serviceName === 'inventory');
    reads.push({
      selects: inventory.filter(isSelect).length,
      redisGets: inventory.filter(isRedisGet).length,
      cacheHit: inventory.find((span) => span.attributes['mesh.cache.hit'] !== undefined)
        ?.attributes['mesh.cache.hit'],
    });
  }
  const describe = reads
    .map((read) => `${read.selects} SELECT, ${read.redisGets} Redis get, hit=${read.cacheHit}`)
    .join('; ');
  run.note('inventory spans per read', describe);
  return reads;
}

export const cacheBypass: Lab = {
  name: 'cache-bypass',
  title: 'The cache nobody uses',
  fault: { flag: 'inventory-cache-bypass', variant: 'on' },
  readBy: ['inventory'],
  compose: {
    browse: ['/api/products', '/api/products/MUG-WHITE-350'],
    probe: {
      promql: 'sum(mesh_inventory_cache_lookups_total{mesh_cache_result="bypass"})',
      above: 0,
    },
  },

  async baseline(run: LabRun) {
    const [, ...repeated] = await productReads(run);
    run.expect(
      repeated.every((read) => read.selects === 0 && read.redisGets > 0 && read.cacheHit === true),
      'with the fault off a repeated read should be a Redis get and no SELECT',
    );
  },

  async symptom(run: LabRun) {
    const reads = await productReads(run);
    run.expect(
      reads.every((read) => read.selects > 0 && read.redisGets === 0 && read.cacheHit === false),
      'every read should be a SELECT on PostgreSQL, with no Redis get',
    );
  },

  async recovery(run: LabRun) {
    const reads = await productReads(run);
    const last = reads[reads.length - 1];
    run.expect(
      last !== undefined && last.selects === 0 && last.cacheHit === true,
      'with the fault off again a repeated read should come from Redis',
    );
  },
};
