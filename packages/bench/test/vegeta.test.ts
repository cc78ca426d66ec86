import { orderTargets, summariseResults } from '../src/vegeta';

describe('orderTargets', () => {
  it('writes one JSON target per order, each a distinct customer, SKUs in turn', () => {
    const lines = orderTargets({
      gatewayUrl: 'http://127.0.0.1:1',
      apiKey: 'k',
      skus: ['A', 'B'],
      prefix: 'p',
      count: 3,
    })
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:1/api/orders',
      header: { 'x-api-key': ['k'], 'content-type': ['application/json'] },
    });
    const bodies = lines.map((t) => JSON.parse(Buffer.from(t.body, 'base64').toString()));
    expect(bodies).toEqual([
      { customerId: 'p-0', items: [{ sku: 'A', quantity: 1 }] },
      { customerId: 'p-1', items: [{ sku: 'B', quantity: 1 }] },
      { customerId: 'p-2', items: [{ sku: 'A', quantity: 1 }] },
    ]);
  });
});

describe('summariseResults', () => {
  it('counts 2xx as accepted and everything else as failed, latencies in ms', () => {
    const results = [
      { code: 201, latency: 10e6 },
      { code: 202, latency: 20e6 },
      { code: 503, latency: 30e6 },
      { code: 0, latency: 40e6 },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const summary = summariseResults(results, 4, 1);
    expect(summary).toMatchObject({
      sent: 4,
      accepted: 2,
      failedShare: 0.5,
      p50Ms: 20,
      p99Ms: 40,
      maxMs: 40,
      codes: { '201': 1, '202': 1, '503': 1, '0': 1 },
    });
  });
});
