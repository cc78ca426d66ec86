import type { Product } from '@mesh/contracts';
import type { Db } from './db';

interface ProductRow {
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: 'EUR';
  stock: number;
}

const COLUMNS = 'sku, name, description, price_cents, currency, stock';

function toProduct(row: ProductRow): Product {
  return {
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency,
    stock: row.stock,
  };
}

export async function findProduct(db: Db, sku: string): Promise<Product | undefined> {
  const { rows } = await db.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE sku = $1`, [
    sku,
  ]);
  return rows[0] && toProduct(rows[0]);
}

export async function listProducts(
  db: Db,
  limit: number,
  offset: number,
): Promise<{ items: Product[]; total: number }> {
  const { rows } = await db.query<ProductRow & { total: number }>(
    `SELECT ${COLUMNS}, count(*) OVER ()::int AS total
       FROM products ORDER BY sku LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  // An offset past the end returns no row to carry the window count, so count separately.
  const total =
    rows[0]?.total ??
    (await db.query<{ total: number }>('SELECT count(*)::int AS total FROM products')).rows[0]
      ?.total ??
    0;
  return { items: rows.map(toProduct), total };
}

/** Which of `skus` are in the catalogue. */
export async function existingSkus(db: Db, skus: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ sku: string }>(
    'SELECT sku FROM products WHERE sku = ANY($1::text[])',
    [skus],
  );
  return new Set(rows.map((row) => row.sku));
}

/**
 * The same answer as existingSkus, one query per sku: the N+1 pattern of an ORM that loads each
 * item's product lazily. Only the workshop fault inventory-n-plus-one reads this way.
 */
export async function existingSkusOneByOne(db: Db, skus: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const sku of skus) {
    const { rows } = await db.query<{ sku: string }>('SELECT sku FROM products WHERE sku = $1', [
      sku,
    ]);
    if (rows[0]) known.add(rows[0].sku);
  }
  return known;
}

/**
 * Takes `quantity` units if that many are left, atomically: the row lock and the re-checked
 * `stock >= $2` make concurrent takers queue up instead of overselling. Returns the unit price
 * at this moment, or undefined when there is not enough stock.
 */
export async function takeStock(
  db: Db,
  sku: string,
  quantity: number,
): Promise<number | undefined> {
  const { rows } = await db.query<{ price_cents: number }>(
    `UPDATE products SET stock = stock - $2, updated_at = now()
      WHERE sku = $1 AND stock >= $2
      RETURNING price_cents`,
    [sku, quantity],
  );
  return rows[0]?.price_cents;
}

export async function returnStock(db: Db, sku: string, quantity: number): Promise<void> {
  await db.query('UPDATE products SET stock = stock + $2, updated_at = now() WHERE sku = $1', [
    sku,
    quantity,
  ]);
}

export async function readStockLevels(db: Db): Promise<{ sku: string; stock: number }[]> {
  const { rows } = await db.query<{ sku: string; stock: number }>(
    'SELECT sku, stock FROM products ORDER BY sku',
  );
  return rows;
}
