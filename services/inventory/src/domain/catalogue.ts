import type { Product, ProductList } from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { trace } from '@opentelemetry/api';
import * as products from '../data/product.repository';
import type { CacheLookupResult } from '../metrics';
import type { Inventory } from './inventory';

/** Lets a trace show whether a read came from Redis or from PostgreSQL, and counts it. */
function recordCacheLookup(inventory: Inventory, result: CacheLookupResult): void {
  trace.getActiveSpan()?.setAttribute('mesh.cache.hit', result === 'hit');
  inventory.metrics.countCacheLookup(result);
}

/** One product, cache-aside: Redis first, on a miss PostgreSQL, then remembered in Redis. */
export async function getProduct(inventory: Inventory, sku: string): Promise<Product> {
  const cached = await inventory.cache.getProduct(sku);
  recordCacheLookup(inventory, cached.result);
  if (cached.product) return cached.product;

  const product = await products.findProduct(inventory.pool, sku);
  if (!product) throw new AppError('product-not-found', { detail: `There is no product ${sku}.` });
  if (cached.result === 'miss') await inventory.cache.putProduct(product);
  return product;
}

/** A page of the catalogue ordered by sku, cache-aside like getProduct. */
export async function listProducts(
  inventory: Inventory,
  limit: number,
  offset: number,
): Promise<ProductList> {
  // The version is read before PostgreSQL, so a page read just before a stock change is stored
  // under the version that change retired.
  const cached = await inventory.cache.getList(limit, offset);
  recordCacheLookup(inventory, cached.result);
  if (cached.list) return cached.list;

  const page = await products.listProducts(inventory.pool, limit, offset);
  const list: ProductList = { ...page, limit, offset };
  if (cached.version !== undefined) await inventory.cache.putList(cached.version, list);
  return list;
}
