import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { flagFileCopy } from '@mesh/testkit';
import { type ComposeEndpoints, checkInCompose, LABS, type Lab } from '../src';

/** One local HTTP server answering every request with `answer`, recording what it was asked. */
async function fakeServer(answer: (url: URL) => unknown) {
  const requests: { url: URL; headers: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({ url, headers: req.headers });
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer(url)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const lab = (compose: Lab['compose']): Lab => ({
  name: 'test-lab',
  title: 'a lab',
  fault: { flag: 'payment-latency-ms', variant: 'on' },
  readBy: ['payment'],
  compose,
  baseline: async () => undefined,
  symptom: async () => undefined,
  recovery: async () => undefined,
});

const noWait = async () => undefined;

describe('pnpm lab check --compose', () => {
  let tempoTraces: { traceID: string }[];
  let promValue: string | undefined;
  let gateway: Awaited<ReturnType<typeof fakeServer>>;
  let tempo: Awaited<ReturnType<typeof fakeServer>>;
  let prometheus: Awaited<ReturnType<typeof fakeServer>>;
  let endpoints: ComposeEndpoints;
  const flags = flagFileCopy();

  beforeAll(async () => {
    gateway = await fakeServer(() => ({ id: 'order', status: 'CONFIRMED' }));
    tempo = await fakeServer(() => ({ traces: tempoTraces }));
    prometheus = await fakeServer(() => ({
      status: 'success',
      data: {
        resultType: 'vector',
        result: promValue === undefined ? [] : [{ metric: {}, value: [1, promValue] }],
      },
    }));
    endpoints = {
      gateway: gateway.url,
      apiKey: 'key',
      tempo: tempo.url,
      prometheus: prometheus.url,
      flagsFile: flags.file,
    };
  });
  afterAll(async () => {
    await Promise.all([gateway.close(), tempo.close(), prometheus.close()]);
  });
  beforeEach(() => {
    gateway.requests.length = 0;
    tempo.requests.length = 0;
    prometheus.requests.length = 0;
  });

  it('when the fault is off in the flag file, then it fails and says how to switch it on, placing no order', async () => {
    flags.switchTo('payment-latency-ms', null);
    const result = await checkInCompose(lab({ probe: { traceql: '{ }' } }), endpoints, noWait);
    expect(result.ok).toBe(false);
    expect(result.lines.join('\n')).toContain('pnpm fault payment-latency-ms on');
    expect(gateway.requests).toHaveLength(0);
  });

  it('when the fault is on and Tempo finds traces, then it passes, having placed orders and asked the TraceQL', async () => {
    flags.switchTo('payment-latency-ms', 'on');
    tempoTraces = [{ traceID: 'abc' }];
    const result = await checkInCompose(
      lab({ probe: { traceql: '{ duration > 700ms }' }, orders: 2 }),
      endpoints,
      noWait,
    );
    expect(result).toEqual({ ok: true, lines: expect.any(Array) });
    expect(gateway.requests.map((request) => request.url.pathname)).toEqual([
      '/api/orders',
      '/api/orders',
    ]);
    expect(gateway.requests[0]?.headers['x-api-key']).toBe('key');
    expect(tempo.requests[0]?.url.pathname).toBe('/api/search');
    expect(tempo.requests[0]?.url.searchParams.get('q')).toBe('{ duration > 700ms }');
  });

  it('when Tempo finds nothing, then it fails', async () => {
    flags.switchTo('payment-latency-ms', 'on');
    tempoTraces = [];
    const result = await checkInCompose(lab({ probe: { traceql: '{ }' } }), endpoints, noWait);
    expect(result.ok).toBe(false);
  });

  it('when a PromQL probe is at or below its threshold or has no data, then it fails, and above, it passes', async () => {
    flags.switchTo('payment-latency-ms', 'on');
    const promql = lab({ probe: { promql: 'sum(mesh_outbox_pending)', above: 10 } });
    promValue = '10';
    expect((await checkInCompose(promql, endpoints, noWait)).ok).toBe(false);
    promValue = undefined;
    expect((await checkInCompose(promql, endpoints, noWait)).ok).toBe(false);
    promValue = '11';
    expect((await checkInCompose(promql, endpoints, noWait)).ok).toBe(true);
    expect(prometheus.requests.at(-1)?.url.searchParams.get('query')).toBe(
      'sum(mesh_outbox_pending)',
    );
  });
});

describe('the guide and the labs', () => {
  const guide = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'workshop.md'), 'utf8');

  it.each(LABS.map((entry) => [entry.name, entry] as const))(
    'lab %s: the guide names its fault switch and the query its compose check asks',
    (_name, entry) => {
      expect(guide).toContain(`pnpm fault ${entry.fault.flag}`);
      const probe = entry.compose?.probe;
      expect(probe).toBeDefined();
      const query = probe && ('traceql' in probe ? probe.traceql : probe.promql);
      expect(guide).toContain(`${query}`);
    },
  );
});
