import type { Reservation, ReserveStockRequest } from '@mesh/contracts';
import { after, type FakeReply, type RecordedCall, startFakeServer } from './fake-server';

/**
 * How a fake answers one kind of call: per the contract, 503, never (`hang`), or by cutting the
 * connection (`drop`, as a crashed process would).
 */
export type Behaviour = 'normal' | 'unavailable' | 'hang' | 'drop';

export interface FakeInventory {
  url: string;
  /** Stock per SKU; SKUs not here are unknown. Prices are fixed by `PRICES`. */
  stock: Map<string, number>;
  reservations: Map<string, Reservation>;
  behaviour: { reserve: Behaviour; release: Behaviour; commit: Behaviour };
  /** How long a reservation takes. */
  delayMs: { reserve: number };
  calls: RecordedCall[];
  /** Calls of one kind: 'reserve', 'release' or 'commit'. */
  callsTo(kind: 'reserve' | 'release' | 'commit'): RecordedCall[];
  /** Everything back to the start. */
  reset(): void;
  /** Back to answering normally, with no calls recorded; stock and reservations stay. */
  recover(): void;
  close(): Promise<void>;
}

export const PRICES: Record<string, number> = {
  'MUG-BLUE-350': 1_250,
  'TEE-BLACK-M': 2_000,
  'SOCKS-RED-42': 499,
};

const UNAVAILABLE: FakeReply = {
  status: 503,
  problem: { code: 'not-ready', detail: 'inventory is not ready' },
};

/** The inventory service's reservation API as packages/contracts/src/inventory.ts describes it. */
export async function startFakeInventory(): Promise<FakeInventory> {
  const fake = {
    stock: new Map<string, number>(),
    reservations: new Map<string, Reservation>(),
    behaviour: {
      reserve: 'normal',
      release: 'normal',
      commit: 'normal',
    } as FakeInventory['behaviour'],
    delayMs: { reserve: 0 },
  };
  const restock = () => {
    fake.stock.clear();
    for (const sku of Object.keys(PRICES)) fake.stock.set(sku, 100);
  };
  restock();

  const override = (behaviour: Behaviour): FakeReply | undefined =>
    behaviour === 'normal' ? undefined : behaviour === 'unavailable' ? UNAVAILABLE : behaviour;

  const reserve = (request: ReserveStockRequest): FakeReply => {
    const existing = fake.reservations.get(request.orderId);
    if (existing) return { status: 200, body: existing };
    const unknown = request.items.find((item) => !fake.stock.has(item.sku));
    if (unknown) {
      return {
        status: 422,
        problem: { code: 'unknown-sku', detail: `No product ${unknown.sku}.` },
      };
    }
    const short = request.items.find((item) => (fake.stock.get(item.sku) ?? 0) < item.quantity);
    if (short) {
      return {
        status: 409,
        problem: {
          code: 'out-of-stock',
          detail: `${short.sku}: ${fake.stock.get(short.sku)} left, ${short.quantity} asked`,
        },
      };
    }
    for (const item of request.items) {
      fake.stock.set(item.sku, (fake.stock.get(item.sku) ?? 0) - item.quantity);
    }
    const items = request.items.map((item) => ({
      ...item,
      unitPriceCents: PRICES[item.sku] ?? 0,
    }));
    const reservation: Reservation = {
      orderId: request.orderId,
      status: 'RESERVED',
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      items,
      totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      currency: 'EUR',
    };
    fake.reservations.set(request.orderId, reservation);
    return { status: 201, body: reservation };
  };

  const settle = (orderId: string, to: 'RELEASED' | 'COMMITTED'): FakeReply => {
    const reservation = fake.reservations.get(orderId);
    if (!reservation) {
      return { status: 404, problem: { code: 'reservation-not-found', detail: orderId } };
    }
    if (reservation.status === to) return { status: 200, body: reservation };
    if (reservation.status !== 'RESERVED') {
      const code = to === 'RELEASED' ? 'reservation-not-releasable' : 'reservation-not-committable';
      return { status: 409, problem: { code } };
    }
    if (to === 'RELEASED') {
      for (const item of reservation.items) {
        fake.stock.set(item.sku, (fake.stock.get(item.sku) ?? 0) + item.quantity);
      }
    }
    reservation.status = to;
    return { status: 200, body: reservation };
  };

  const server = await startFakeServer((call) => {
    const [, collection, orderId, action] = call.path.split('/');
    if (collection !== 'reservations') return { status: 404, problem: { code: 'route-not-found' } };
    if (call.method === 'POST' && orderId === undefined) {
      return (
        override(fake.behaviour.reserve) ??
        after(fake.delayMs.reserve, () => reserve(call.body as ReserveStockRequest))
      );
    }
    if (call.method === 'POST' && orderId && action === 'release') {
      return override(fake.behaviour.release) ?? settle(orderId, 'RELEASED');
    }
    if (call.method === 'POST' && orderId && action === 'commit') {
      return override(fake.behaviour.commit) ?? settle(orderId, 'COMMITTED');
    }
    return { status: 404, problem: { code: 'route-not-found' } };
  });

  const recover = () => {
    fake.delayMs.reserve = 0;
    server.calls.length = 0;
    fake.behaviour.reserve = fake.behaviour.release = fake.behaviour.commit = 'normal';
  };
  const kindOf = (call: RecordedCall) =>
    call.path === '/reservations' ? 'reserve' : call.path.split('/')[3];

  return {
    ...fake,
    url: server.url,
    calls: server.calls,
    callsTo: (kind) => server.calls.filter((call) => kindOf(call) === kind),
    reset() {
      recover();
      fake.reservations.clear();
      restock();
    },
    recover,
    close: () => server.close(),
  };
}
