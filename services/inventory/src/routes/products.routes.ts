import { Product, ProductList, ProductListQuery, SkuParams } from '@mesh/contracts';
import type { FastifyInstance } from 'fastify';
import { getProduct, listProducts } from '../domain/catalogue';
import type { Inventory } from '../domain/inventory';

export function registerProductRoutes(app: FastifyInstance, inventory: Inventory): void {
  app.get<{ Querystring: ProductListQuery }>(
    '/products',
    { schema: { querystring: ProductListQuery, response: { 200: ProductList } } },
    // The schema fills in the defaults; the fallbacks only satisfy the types.
    async (request) =>
      listProducts(inventory, request.query.limit ?? 50, request.query.offset ?? 0),
  );

  app.get<{ Params: SkuParams }>(
    '/products/:sku',
    { schema: { params: SkuParams, response: { 200: Product } } },
    async (request) => getProduct(inventory, request.params.sku),
  );
}
