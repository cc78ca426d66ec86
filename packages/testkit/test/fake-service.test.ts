import { Product } from '@mesh/contracts';
import { problem, startFakeService } from '../src';

const MUG = {
  sku: 'MUG-BLUE-350',
  name: 'Blue mug',
  description: '350 ml',
  priceCents: 1200,
  currency: 'EUR',
  stock: 40,
};

const productRoute = (body: unknown) => ({
  method: 'GET' as const,
  path: '/products/:sku',
  responses: { 200: Product },
  handle: (_call: unknown, { sku }: Record<string, string>) =>
    sku === 'MUG-BLUE-350' ? { status: 200, body } : problem(404, 'product-not-found'),
});

describe('startFakeService', () => {
  it('when called, then it answers through its routes with path parameters and records each call', async () => {
    const fake = await startFakeService('inventory', [productRoute(MUG)]);
    try {
      const found = await fetch(`${fake.url}/products/MUG-BLUE-350?fields=all`);
      expect(found.status).toBe(200);
      expect(await found.json()).toEqual(MUG);
      const missing = await fetch(`${fake.url}/products/NOPE-1`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toBe('application/problem+json');
      expect((await fetch(`${fake.url}/healthz`)).status).toBe(200);

      expect(fake.calls.map((call) => call.url)).toEqual([
        '/products/MUG-BLUE-350?fields=all',
        '/products/NOPE-1',
        '/healthz',
      ]);
      expect(fake.forwarded).toHaveLength(2);
      expect(fake.callsTo('GET', '/products/:sku')).toHaveLength(2);
    } finally {
      await fake.stop();
    }
  });

  it('when a route answers with a body that breaks the contract, then the call gets a 500 and stop() fails naming it', async () => {
    const fake = await startFakeService('inventory', [
      productRoute({ ...MUG, priceCents: 'twelve euros' }),
    ]);
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const answer = await fetch(`${fake.url}/products/MUG-BLUE-350`);
      expect(answer.status).toBe(500);
      expect(fake.violations).toEqual([
        expect.stringMatching(/GET \/products\/:sku answered 200 .*\/priceCents/),
      ]);
      expect(printed).toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      await expect(fake.stop()).rejects.toThrow(/fake inventory broke the contract/);
    }
  });

  it('when a route answers with a status its contract does not list, then that is a violation too', async () => {
    const fake = await startFakeService('inventory', [
      { ...productRoute(MUG), handle: () => ({ status: 201, body: MUG }) },
    ]);
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect((await fetch(`${fake.url}/products/MUG-BLUE-350`)).status).toBe(500);
    } finally {
      printed.mockRestore();
      await expect(fake.stop()).rejects.toThrow(
        /answered 201, a status its contract does not list/,
      );
    }
  });

  it('when told to fail, hang or drop, then it does so for that many calls, unchecked, then answers again', async () => {
    const fake = await startFakeService('inventory', [productRoute(MUG)]);
    try {
      fake.failNext(1, { status: 500, body: { stack: 'at somewhere' } });
      expect((await fetch(`${fake.url}/products/MUG-BLUE-350`)).status).toBe(500);

      fake.failNext(1, 'drop');
      await expect(fetch(`${fake.url}/products/MUG-BLUE-350`)).rejects.toThrow();

      fake.hang(1);
      await expect(
        fetch(`${fake.url}/products/MUG-BLUE-350`, { signal: AbortSignal.timeout(200) }),
      ).rejects.toThrow();

      expect((await fetch(`${fake.url}/products/MUG-BLUE-350`)).status).toBe(200);
      expect(fake.violations).toEqual([]);
    } finally {
      await fake.stop();
    }
  });
});
