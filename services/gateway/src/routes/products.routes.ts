import { ProductListQuery, SkuParams } from '@mesh/contracts';
import type { FastifyInstance } from 'fastify';
import type { InventoryClient } from '../clients/inventory.client';

/** The product catalogue, read from the inventory service. */
export function registerProductRoutes(app: FastifyInstance, inventory: InventoryClient): void {
  app.get<{ Querystring: ProductListQuery }>(
    '/products',
    { schema: { querystring: ProductListQuery } },
    async (request) => inventory.listProducts(request.query),
  );

  app.get<{ Params: SkuParams }>(
    '/products/:sku',
    { schema: { params: SkuParams } },
    async (request) => inventory.getProduct(request.params.sku),
  );
}
