import type { Product, ProductList } from '@mesh/contracts';
import {
  newOrderId,
  reserve,
  setStock,
  startInventory,
  stockOf,
  type TestInventory,
} from './support';

describe('cache-aside catalogue reads', () => {
  let service: TestInventory;
  beforeAll(async () => {
    service = await startInventory();
  });
  afterAll(() => service.stop());

  const getProduct = async (sku: string) => {
    const response = await service.app.inject({ method: 'GET', url: `/products/${sku}` });
    expect(response.statusCode).toBe(200);
    return response.json<Product>();
  };
  const getPage = async (query: string) => {
    const response = await service.app.inject({ method: 'GET', url: `/products?${query}` });
    expect(response.statusCode).toBe(200);
    return response.json<ProductList>();
  };

  it('when a product is read, then it is cached until a reservation of it invalidates it', async () => {
    const sku = 'NOTEBOOK-A5-DOT';
    expect(await service.redis.get(`product:${sku}`)).toBeNull();

    const first = await getProduct(sku);
    expect(first.stock).toBe(200);
    expect(JSON.parse((await service.redis.get(`product:${sku}`)) ?? 'null')).toEqual(first);
    const ttl = await service.redis.ttl(`product:${sku}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);

    // Behind the service's back: only a cached read still answers 200 units.
    await setStock(service.pool, sku, 50);
    expect((await getProduct(sku)).stock).toBe(200);

    const reserved = await reserve(service.app, {
      orderId: newOrderId(),
      items: [{ sku, quantity: 2 }],
    });
    expect(reserved.statusCode).toBe(201);
    expect(await service.redis.get(`product:${sku}`)).toBeNull();
    expect((await getProduct(sku)).stock).toBe(48);
    expect(await stockOf(service.pool, sku)).toBe(48);
  });

  it('when a page is read, then it is cached until a stock change retires every cached page', async () => {
    const first = await getPage('limit=3&offset=0');
    const sku = first.items[0]?.sku as string;
    const stock = first.items[0]?.stock as number;

    await setStock(service.pool, sku, stock + 100);
    expect(await getPage('limit=3&offset=0')).toEqual(first);

    const reserved = await reserve(service.app, {
      orderId: newOrderId(),
      items: [{ sku, quantity: 1 }],
    });
    expect(reserved.statusCode).toBe(201);
    const after = await getPage('limit=3&offset=0');
    expect(after.items[0]).toEqual({ ...first.items[0], stock: stock + 99 });
  });

  it('when a reservation is released, then the cached product shows the stock given back', async () => {
    const sku = 'PEN-GEL-BLUE';
    const orderId = newOrderId();
    expect(
      (await reserve(service.app, { orderId, items: [{ sku, quantity: 5 }] })).statusCode,
    ).toBe(201);
    expect((await getProduct(sku)).stock).toBe(395);

    const released = await service.app.inject({
      method: 'POST',
      url: `/reservations/${orderId}/release`,
    });
    expect(released.statusCode).toBe(200);
    expect((await getProduct(sku)).stock).toBe(400);
  });
});

describe('catalogue reads while Redis is unreachable', () => {
  let service: TestInventory;
  beforeAll(async () => {
    service = await startInventory({ redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(() => service.stop());

  it('when a product and a page are read, then PostgreSQL answers them', async () => {
    const product = await service.app.inject({ method: 'GET', url: '/products/MUG-BLUE-350' });
    expect(product.statusCode).toBe(200);
    expect(product.json<Product>().stock).toBe(240);

    const page = await service.app.inject({ method: 'GET', url: '/products?limit=5' });
    expect(page.statusCode).toBe(200);
    expect(page.json<ProductList>().items).toHaveLength(5);

    const missing = await service.app.inject({ method: 'GET', url: '/products/NO-SUCH-SKU' });
    expect(missing.statusCode).toBe(404);
  });

  it('when stock is reserved, then the reservation succeeds and later reads show it', async () => {
    const response = await reserve(service.app, {
      orderId: newOrderId(),
      items: [{ sku: 'MUG-BLUE-350', quantity: 3 }],
    });
    expect(response.statusCode).toBe(201);
    const product = await service.app.inject({ method: 'GET', url: '/products/MUG-BLUE-350' });
    expect(product.json<Product>().stock).toBe(237);
  });

  it('when readiness is checked, then it reports Redis as failing', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'not-ready' });
    expect(response.json<{ detail: string }>().detail).toMatch(/redis/);
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
