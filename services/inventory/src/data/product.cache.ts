import type { Product, ProductList } from '@mesh/contracts';
import type { Faults, Redis } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import type { CacheLookupResult } from '../metrics';

const LIST_VERSION_KEY = 'products:version';

const productKey = (sku: string) => `product:${sku}`;
const listKey = (version: string, limit: number, offset: number) =>
  `products:v${version}:${limit}:${offset}`;

/**
 * Cache-aside storage for catalogue reads. Every method swallows Redis errors (logged as a
 * warning): the cache is an optimisation, PostgreSQL is the truth.
 *
 * Product lists are cached under a version number that every stock change increments, so one
 * INCR retires every cached page at once, and a page computed from data read before a change
 * is stored under the old version and never served.
 *
 * Reads say how the lookup went; after a 'bypass' the caller stores nothing either.
 */
export class ProductCache {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
    private readonly faults: Faults,
  ) {}

  async getProduct(sku: string): Promise<{ result: CacheLookupResult; product?: Product }> {
    if (await this.bypassed()) return { result: 'bypass' };
    const product = await this.attempt('read product', async () => {
      const cached = await this.redis.get(productKey(sku));
      return cached === null ? undefined : (JSON.parse(cached) as Product);
    });
    return product ? { result: 'hit', product } : { result: 'miss' };
  }

  async putProduct(product: Product): Promise<void> {
    await this.attempt('write product', () =>
      this.redis.set(productKey(product.sku), JSON.stringify(product), 'EX', this.ttlSeconds),
    );
  }

  /**
   * The cached page, if any, and the list version to store a freshly read page under (undefined
   * when Redis cannot be read or is bypassed: then nothing is stored either).
   */
  async getList(
    limit: number,
    offset: number,
  ): Promise<{ result: CacheLookupResult; list?: ProductList; version?: string }> {
    if (await this.bypassed()) return { result: 'bypass' };
    const found = await this.attempt('read product list', async () => {
      const version = (await this.redis.get(LIST_VERSION_KEY)) ?? '0';
      const cached = await this.redis.get(listKey(version, limit, offset));
      return { version, list: cached === null ? undefined : (JSON.parse(cached) as ProductList) };
    });
    if (found?.list) return { result: 'hit', ...found };
    return { result: 'miss', version: found?.version };
  }

  async putList(version: string, list: ProductList): Promise<void> {
    await this.attempt('write product list', () =>
      this.redis.set(
        listKey(version, list.limit, list.offset),
        JSON.stringify(list),
        'EX',
        this.ttlSeconds,
      ),
    );
  }

  /**
   * After a stock change: drops the products' entries and retires every cached list page. If
   * Redis cannot be reached the entries expire by their TTL instead.
   */
  async invalidate(skus: string[]): Promise<void> {
    await this.attempt('invalidate products', () => {
      const transaction = this.redis.multi();
      if (skus.length > 0) transaction.del(...skus.map(productKey));
      return transaction.incr(LIST_VERSION_KEY).exec();
    });
  }

  /**
   * Workshop fault inventory-cache-bypass: reads skip Redis and go to PostgreSQL, as with a cache
   * switched off by mistake. Invalidation still runs, so the cache is right once it is off again.
   */
  private bypassed(): Promise<boolean> {
    return this.faults.on('inventory-cache-bypass');
  }

  private async attempt<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn({ err: error, cache: what }, 'product cache skipped');
      return undefined;
    }
  }
}
