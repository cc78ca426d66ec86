import type { Product, ProductList, ProductListQuery } from '@mesh/contracts';
import type { Upstream } from './upstream';

/** The inventory service's catalogue API (packages/contracts/src/inventory.ts). */
export class InventoryClient {
  constructor(private readonly upstream: Upstream) {}

  async listProducts(query: ProductListQuery): Promise<ProductList> {
    const search = new URLSearchParams();
    if (query.limit !== undefined) search.set('limit', String(query.limit));
    if (query.offset !== undefined) search.set('offset', String(query.offset));
    const suffix = search.size > 0 ? `?${search}` : '';
    return (await this.upstream.get<ProductList>(`/products${suffix}`)).body;
  }

  async getProduct(sku: string): Promise<Product> {
    return (await this.upstream.get<Product>(`/products/${encodeURIComponent(sku)}`)).body;
  }

  checkHealth(): Promise<void> {
    return this.upstream.checkHealth();
  }
}
