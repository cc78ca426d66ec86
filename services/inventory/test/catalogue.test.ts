import type { Product, ProductList } from '@mesh/contracts';
import { expectProblem, startInventory, type TestInventory } from './support';

describe('product catalogue', () => {
  let service: TestInventory;
  beforeAll(async () => {
    service = await startInventory();
  });
  afterAll(() => service.stop());

  const get = (url: string) => service.app.inject({ method: 'GET', url });

  it('when the catalogue is listed, then the 36 seeded products come ordered by sku', async () => {
    const response = await get('/products');
    expect(response.statusCode).toBe(200);
    const list = response.json<ProductList>();
    expect(list).toMatchObject({ total: 36, limit: 50, offset: 0 });
    expect(list.items).toHaveLength(36);
    const skus = list.items.map((product) => product.sku);
    expect(skus).toEqual([...skus].sort());
    for (const product of list.items) {
      expect(product.sku).toMatch(/^[A-Z0-9][A-Z0-9-]{1,31}$/);
      expect(product.name).not.toBe('');
      expect(product.currency).toBe('EUR');
      expect(Number.isInteger(product.priceCents) && product.priceCents > 0).toBe(true);
    }
    // The workshop needs a sold-out product and a few nearly sold-out ones.
    expect(list.items.filter((product) => product.stock === 0)).toHaveLength(1);
    expect(
      list.items.filter((product) => product.stock >= 1 && product.stock <= 5).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('when a page is asked for, then limit and offset select that slice of the sku order', async () => {
    const all = (await get('/products')).json<ProductList>().items;
    const page = await get('/products?limit=10&offset=30');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toEqual({ items: all.slice(30, 40), total: 36, limit: 10, offset: 30 });

    const pastTheEnd = await get('/products?limit=5&offset=100');
    expect(pastTheEnd.json()).toEqual({ items: [], total: 36, limit: 5, offset: 100 });
  });

  it('when a known sku is asked for, then that product is returned', async () => {
    const response = await get('/products/MUG-BLUE-350');
    expect(response.statusCode).toBe(200);
    expect(response.json<Product>()).toEqual({
      sku: 'MUG-BLUE-350',
      name: 'Blue mug 350 ml',
      description: 'Glazed stoneware mug in deep blue, dishwasher safe.',
      priceCents: 1290,
      currency: 'EUR',
      stock: 240,
    });
  });

  it('when the sku is unknown, then 404 product-not-found', async () => {
    const problem = expectProblem(await get('/products/NO-SUCH-SKU'), 404, 'product-not-found');
    expect(problem.detail).toContain('NO-SUCH-SKU');
  });

  it('when the sku is not a valid sku, then 400 invalid-request', async () => {
    expectProblem(await get('/products/mug-blue-350'), 400, 'invalid-request');
  });

  it.each([
    ['limit=0'],
    ['limit=abc'],
    ['limit=101'],
    ['offset=-1'],
    ['limit=1.5'],
    ['colour=blue'],
  ])('when the query is %s, then 400 invalid-request', async (query) => {
    expectProblem(await get(`/products?${query}`), 400, 'invalid-request');
  });
});
