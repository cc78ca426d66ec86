import { randomUUID } from 'node:crypto';
import { ALWAYS_DECLINED_CUSTOMER, type ChargeRequest, type Payment } from '@mesh/contracts';
import type { Behaviour } from './fake-inventory';
import { after, type FakeReply, type RecordedCall, startFakeServer } from './fake-server';

export interface FakePayment {
  url: string;
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
  calls: RecordedCall[];
  callsTo(kind: 'charge' | 'lookup' | 'void'): RecordedCall[];
  /** A payment as payment stores it, e.g. to seed one the order service never heard back about. */
  paymentFor(orderId: string, status: Payment['status']): Payment;
  /** Everything back to the start. */
  reset(): void;
  /** Back to answering normally, with no calls recorded; payments stay. */
  recover(): void;
  close(): Promise<void>;
}

const UNAVAILABLE: FakeReply = {
  status: 503,
  problem: { code: 'not-ready', detail: 'payment is not ready' },
};

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

  const charge = (request: ChargeRequest): FakeReply => {
    const existing = payments.get(request.orderId);
    if (existing?.status === 'VOIDED') {
      return { status: 409, problem: { code: 'order-id-reused', detail: 'payment was voided' } };
    }
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

  const voidPayment = (orderId: string): FakeReply => {
    // A void without a payment leaves a VOIDED record, so a late charge is refused.
    const payment = payments.get(orderId) ?? paymentFor(orderId, 'VOIDED');
    payment.status = 'VOIDED';
    payments.set(orderId, payment);
    return { status: 200, body: payment };
  };

  const override = (what: FakePayment['behaviour']['charge']): FakeReply | undefined => {
    if (what === 'normal' || what === 'decline') return undefined;
    if (what === 'unavailable') return UNAVAILABLE;
    if (what === 'in-progress') return { status: 409, problem: { code: 'payment-in-progress' } };
    return what;
  };

  const server = await startFakeServer((call) => {
    const [, collection, orderId, action] = call.path.split('/');
    if (collection !== 'payments') return { status: 404, problem: { code: 'route-not-found' } };
    if (call.method === 'POST' && orderId === undefined) {
      return (
        override(behaviour.charge) ??
        after(delayMs.charge, () => charge(call.body as ChargeRequest))
      );
    }
    if (call.method === 'GET' && orderId && action === undefined) {
      return (
        override(behaviour.lookup) ??
        after(delayMs.lookup, () => {
          const payment = payments.get(orderId);
          return payment
            ? { status: 200, body: payment }
            : { status: 404, problem: { code: 'payment-not-found', detail: orderId } };
        })
      );
    }
    if (call.method === 'POST' && orderId && action === 'void') {
      return override(behaviour.void) ?? voidPayment(orderId);
    }
    return { status: 404, problem: { code: 'route-not-found' } };
  });

  const recover = () => {
    delayMs.charge = delayMs.lookup = 0;
    server.calls.length = 0;
    behaviour.charge = behaviour.lookup = behaviour.void = 'normal';
  };
  const kindOf = (call: RecordedCall) =>
    call.method === 'GET' ? 'lookup' : call.path === '/payments' ? 'charge' : 'void';

  return {
    delayMs,
    url: server.url,
    payments,
    behaviour,
    calls: server.calls,
    callsTo: (kind) => server.calls.filter((call) => kindOf(call) === kind),
    paymentFor: (orderId, status) => paymentFor(orderId, status),
    reset() {
      recover();
      payments.clear();
    },
    recover,
    close: () => server.close(),
  };
}
