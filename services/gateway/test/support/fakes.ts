import { randomUUID } from 'node:crypto';
import {
  type Notification,
  NotificationList,
  ORDER_ID_HEADER,
  Order,
  type PlaceOrderRequest,
  Product,
  ProductList,
} from '@mesh/contracts';
import { type FakeService, problem, startFakeService } from '@mesh/testkit';

export const PRODUCTS: Product[] = [
  {
    sku: 'MUG-BLUE-350',
    name: 'Blue mug',
    description: '350 ml',
    priceCents: 1200,
    currency: 'EUR',
    stock: 40,
  },
  {
    sku: 'TEE-BLACK-M',
    name: 'Black tee',
    description: 'Size M',
    priceCents: 2500,
    currency: 'EUR',
    stock: 12,
  },
];

export interface FakeOrder extends FakeService {
  /** The next POST stores its order, then cuts the connection instead of answering. */
  dropNextAnswer(): void;
}

/**
 * The order service per the contract: POST /orders confirms the order (201) under the id the
 * gateway sent (x-mesh-order-id), and answers a repeated Idempotency-Key with the same order
 * (200, Idempotent-Replayed: true); GET /orders/:id serves stored orders or 404 order-not-found.
 */
export async function startFakeOrder(): Promise<FakeOrder> {
  const orders = new Map<string, Order>();
  const byKey = new Map<string, Order>();
  let dropAnswers = 0;
  const fake = await startFakeService('order', [
    {
      method: 'POST',
      path: '/orders',
      responses: { 200: Order, 201: Order, 202: Order },
      handle: (call) => {
        const key = call.headers['idempotency-key'];
        const earlier = typeof key === 'string' ? byKey.get(key) : undefined;
        if (earlier)
          return { status: 200, body: earlier, headers: { 'idempotent-replayed': 'true' } };
        const request = call.body as PlaceOrderRequest;
        const now = new Date().toISOString();
        const items = request.items.map((item) => ({ ...item, unitPriceCents: 1200 }));
        const id = call.headers[ORDER_ID_HEADER];
        const order: Order = {
          id: typeof id === 'string' ? id : randomUUID(),
          customerId: request.customerId,
          status: 'CONFIRMED',
          items,
          totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
          currency: 'EUR',
          createdAt: now,
          updatedAt: now,
          history: [
            { status: 'PENDING', at: now },
            { status: 'CONFIRMED', at: now },
          ],
        };
        orders.set(order.id, order);
        if (typeof key === 'string') byKey.set(key, order);
        if (dropAnswers > 0) {
          dropAnswers -= 1;
          return 'drop';
        }
        return { status: 201, body: order };
      },
    },
    {
      method: 'GET',
      path: '/orders/:id',
      responses: { 200: Order },
      handle: (_call, { id }) => {
        const order = orders.get(id ?? '');
        return order
          ? { status: 200, body: order }
          : problem(404, 'order-not-found', `No order ${id}.`);
      },
    },
  ]);
  return Object.assign(fake, {
    dropNextAnswer: () => {
      dropAnswers += 1;
    },
  });
}

/** The inventory catalogue per the contract: a product list with paging, and single products. */
export async function startFakeInventory(): Promise<FakeService> {
  return startFakeService('inventory', [
    {
      method: 'GET',
      path: '/products',
      responses: { 200: ProductList },
      handle: (call) => {
        const query = new URL(call.url, 'http://fake').searchParams;
        const limit = Number(query.get('limit') ?? 50);
        const offset = Number(query.get('offset') ?? 0);
        const body: ProductList = {
          items: PRODUCTS.slice(offset, offset + limit),
          total: PRODUCTS.length,
          limit,
          offset,
        };
        return { status: 200, body };
      },
    },
    {
      method: 'GET',
      path: '/products/:sku',
      responses: { 200: Product },
      handle: (_call, { sku }) => {
        const product = PRODUCTS.find((candidate) => candidate.sku === sku);
        return product
          ? { status: 200, body: product }
          : problem(404, 'product-not-found', `No product ${sku}.`);
      },
    },
  ]);
}

/** The notification service's query API: the notifications stored for an order (none if unknown). */
export async function startFakeNotification(stored: Notification[] = []): Promise<FakeService> {
  return startFakeService('notification', [
    {
      method: 'GET',
      path: '/notifications',
      responses: { 200: NotificationList },
      handle: (call) => {
        const orderId = new URL(call.url, 'http://fake').searchParams.get('orderId');
        const body: NotificationList = { items: stored.filter((n) => n.orderId === orderId) };
        return { status: 200, body };
      },
    },
  ]);
}
