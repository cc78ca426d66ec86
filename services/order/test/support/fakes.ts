import { randomUUID } from 'node:crypto';
import {
  ALWAYS_DECLINED_CUSTOMER,
  type ChargeRequest,
  Payment,
  Reservation,
  type ReserveStockRequest,
} from '@mesh/contracts';
import { pause } from '@mesh/service-kit';
import {
  type FakeRoute,
  problem,
  type RecordedCall,
  type Reply,
  startFakeService,
} from '@mesh/testkit';

/**
 * How a fake answers one kind of call: per the contract, 503, never (`hang`), or by cutting the
 * connection (`drop`, as a crashed process would).
 */
export type Behaviour = 'normal' | 'unavailable' | 'hang' | 'drop';

/** What both fakes offer besides their state. */
export interface FakeDependency<Kind extends string> {
  url: string;
  calls: RecordedCall[];
  /** The calls of one kind, e.g. `callsTo('reserve')`. */
  callsTo(kind: Kind): RecordedCall[];
  /** Everything back to the start. */
  reset(): void;
  /** Back to answering normally, with no calls recorded; the state (stock, payments) stays. */
  recover(): void;
  /** Rejects if an answer broke the contract. */
  close(): Promise<void>;
}

/** The answer a behaviour other than `normal` calls for. */
function misbehaviour(behaviour: Behaviour, service: string): Reply | undefined {
  if (behaviour === 'normal') return undefined;
  if (behaviour === 'unavailable') return problem(503, 'not-ready', `${service} is not ready`);
  return behaviour;
}

/** Works the answer out after `ms` (e.g. a slow reservation). */
async function after(ms: number, answer: () => Reply): Promise<Reply> {
  if (ms > 0) await pause(ms);
  return answer();
}

/** A contract-checked fake with a route per kind of call; `state` resets what the routes keep. */
async function startFake<Kind extends string>(
  name: string,
  routes: Record<Kind, FakeRoute>,
  state: { recover(): void; clear(): void },
): Promise<FakeDependency<Kind>> {
  const fake = await startFakeService(name, Object.values<FakeRoute>(routes));
  const recover = () => {
    fake.reset();
    state.recover();
  };
  return {
    url: fake.url,
    calls: fake.calls,
    callsTo: (kind) => fake.callsTo(routes[kind].method, routes[kind].path),
    recover,
    reset() {
      recover();
      state.clear();
    },
    close: () => fake.stop(),
  };
}

export const PRICES: Record<string, number> = {
  'MUG-BLUE-350': 1_250,
  'TEE-BLACK-M': 2_000,
  'SOCKS-RED-42': 499,
};

export interface FakeInventory extends FakeDependency<'reserve' | 'release' | 'commit'> {
  /** Stock per SKU; SKUs not here are unknown. Prices are fixed by `PRICES`. */
  stock: Map<string, number>;
  reservations: Map<string, Reservation>;
  behaviour: { reserve: Behaviour; release: Behaviour; commit: Behaviour };
  /** How long a reservation takes. */
  delayMs: { reserve: number };
}

/** The inventory service's reservation API as packages/contracts/src/inventory.ts describes it. */
export async function startFakeInventory(): Promise<FakeInventory> {
  const stock = new Map<string, number>();
  const reservations = new Map<string, Reservation>();
  const behaviour: FakeInventory['behaviour'] = {
    reserve: 'normal',
    release: 'normal',
    commit: 'normal',
  };
  const delayMs = { reserve: 0 };
  const restock = () => {
    stock.clear();
    for (const sku of Object.keys(PRICES)) stock.set(sku, 100);
  };
  restock();

  const reserve = (request: ReserveStockRequest): Reply => {
    const existing = reservations.get(request.orderId);
    if (existing) return { status: 200, body: existing };
    const unknown = request.items.find((item) => !stock.has(item.sku));
    if (unknown) return problem(422, 'unknown-sku', `No product ${unknown.sku}.`);
    const short = request.items.find((item) => (stock.get(item.sku) ?? 0) < item.quantity);
    if (short) {
      const left = stock.get(short.sku);
      return problem(409, 'out-of-stock', `${short.sku}: ${left} left, ${short.quantity} asked`);
    }
    for (const item of request.items) {
      stock.set(item.sku, (stock.get(item.sku) ?? 0) - item.quantity);
    }
    const items = request.items.map((item) => ({ ...item, unitPriceCents: PRICES[item.sku] ?? 0 }));
    const reservation: Reservation = {
      orderId: request.orderId,
      status: 'RESERVED',
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      items,
      totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      currency: 'EUR',
    };
    reservations.set(request.orderId, reservation);
    return { status: 201, body: reservation };
  };

  const settle = (orderId: string, to: 'RELEASED' | 'COMMITTED'): Reply => {
    const reservation = reservations.get(orderId);
    if (!reservation) return problem(404, 'reservation-not-found', orderId);
    if (reservation.status === to) return { status: 200, body: reservation };
    if (reservation.status !== 'RESERVED') {
      return problem(
        409,
        to === 'RELEASED' ? 'reservation-not-releasable' : 'reservation-not-committable',
      );
    }
    if (to === 'RELEASED') {
      for (const item of reservation.items) {
        stock.set(item.sku, (stock.get(item.sku) ?? 0) + item.quantity);
      }
    }
    reservation.status = to;
    return { status: 200, body: reservation };
  };

  const fake = await startFake(
    'inventory',
    {
      reserve: {
        method: 'POST',
        path: '/reservations',
        responses: { 200: Reservation, 201: Reservation },
        handle: (call) =>
          misbehaviour(behaviour.reserve, 'inventory') ??
          after(delayMs.reserve, () => reserve(call.body as ReserveStockRequest)),
      },
      release: {
        method: 'POST',
        path: '/reservations/:orderId/release',
        responses: { 200: Reservation },
        handle: (_call, { orderId = '' }) =>
          misbehaviour(behaviour.release, 'inventory') ?? settle(orderId, 'RELEASED'),
      },
      commit: {
        method: 'POST',
        path: '/reservations/:orderId/commit',
        responses: { 200: Reservation },
        handle: (_call, { orderId = '' }) =>
          misbehaviour(behaviour.commit, 'inventory') ?? settle(orderId, 'COMMITTED'),
      },
    },
    {
      recover() {
        delayMs.reserve = 0;
        behaviour.reserve = behaviour.release = behaviour.commit = 'normal';
      },
      clear() {
        reservations.clear();
        restock();
      },
    },
  );
  return { ...fake, stock, reservations, behaviour, delayMs };
}

export interface FakePayment extends FakeDependency<'charge' | 'lookup' | 'void'> {
  /** Payments by order id. */
  payments: Map<string, Payment>;
  behaviour: {
    /**
     * `decline`: the processor declines every charge; `in-progress`: 409 payment-in-progress, as
     * when another charge for the order is still running.
     */
    charge: Behaviour | 'decline' | 'in-progress';
    lookup: Behaviour;
    void: Behaviour;
  };
  /** How long a charge and a lookup take. */
  delayMs: { charge: number; lookup: number };
  /** A payment as payment stores it, e.g. to seed one the order service never heard back about. */
  paymentFor(orderId: string, status: Payment['status']): Payment;
}

/** The payment service's API as packages/contracts/src/payment.ts describes it. */
export async function startFakePayment(): Promise<FakePayment> {
  const payments = new Map<string, Payment>();
  const delayMs = { charge: 0, lookup: 0 };
  const behaviour: FakePayment['behaviour'] = {
    charge: 'normal',
    lookup: 'normal',
    void: 'normal',
  };

  const paymentFor = (orderId: string, status: Payment['status'], charge?: ChargeRequest) => {
    const now = new Date().toISOString();
    return {
      id: randomUUID(),
      orderId,
      customerId: charge?.customerId ?? 'someone',
      amountCents: charge?.amountCents ?? 1,
      currency: 'EUR' as const,
      status,
      createdAt: now,
      updatedAt: now,
    };
  };

  const charge = (request: ChargeRequest): Reply => {
    const existing = payments.get(request.orderId);
    if (existing?.status === 'VOIDED') return problem(409, 'order-id-reused', 'payment was voided');
    if (existing) return { status: 200, body: existing };
    const declined =
      behaviour.charge === 'decline' || request.customerId === ALWAYS_DECLINED_CUSTOMER;
    const payment: Payment = paymentFor(
      request.orderId,
      declined ? 'DECLINED' : 'CHARGED',
      request,
    );
    if (declined) payment.declineReason = 'insufficient-funds';
    payments.set(request.orderId, payment);
    return { status: 201, body: payment };
  };

  const chargeMisbehaviour = (): Reply | undefined => {
    if (behaviour.charge === 'decline') return undefined;
    if (behaviour.charge === 'in-progress') return problem(409, 'payment-in-progress');
    return misbehaviour(behaviour.charge, 'payment');
  };

  const fake = await startFake(
    'payment',
    {
      charge: {
        method: 'POST',
        path: '/payments',
        responses: { 200: Payment, 201: Payment },
        handle: (call) =>
          chargeMisbehaviour() ?? after(delayMs.charge, () => charge(call.body as ChargeRequest)),
      },
      lookup: {
        method: 'GET',
        path: '/payments/:orderId',
        responses: { 200: Payment },
        handle: (_call, { orderId = '' }) =>
          misbehaviour(behaviour.lookup, 'payment') ??
          after(delayMs.lookup, () => {
            const payment = payments.get(orderId);
            return payment
              ? { status: 200, body: payment }
              : problem(404, 'payment-not-found', orderId);
          }),
      },
      void: {
        method: 'POST',
        path: '/payments/:orderId/void',
        responses: { 200: Payment },
        handle: (_call, { orderId = '' }) => {
          const refused = misbehaviour(behaviour.void, 'payment');
          if (refused) return refused;
          // A void without a payment leaves a VOIDED record, so a late charge is refused.
          const payment = payments.get(orderId) ?? paymentFor(orderId, 'VOIDED');
          payment.status = 'VOIDED';
          payments.set(orderId, payment);
          return { status: 200, body: payment };
        },
      },
    },
    {
      recover() {
        delayMs.charge = delayMs.lookup = 0;
        behaviour.charge = behaviour.lookup = behaviour.void = 'normal';
      },
      clear: () => payments.clear(),
    },
  );
  return {
    ...fake,
    payments,
    behaviour,
    delayMs,
    paymentFor: (id, status) => paymentFor(id, status),
  };
}
