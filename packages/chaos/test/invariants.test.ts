import { evaluateInvariants, type MeshState, type ScenarioRecord } from '../src/invariants';
import type { SentOrder } from '../src/load';

// The checker must be able to fail: each test plants one violation in an otherwise sound
// state and expects exactly that invariant to be reported.

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

function sent(n: number, overrides: Partial<SentOrder> = {}): SentOrder {
  return {
    customerId: `s-${n}`,
    idempotencyKey: `s-key-${n}`,
    body: { customerId: `s-${n}`, items: [{ sku: 'MUG', quantity: 1 }] },
    sentAt: 1_000 + n,
    latencyMs: 50,
    status: 201,
    retryAfter: null,
    orderId: n === 0 ? A : B,
    error: undefined,
    ...overrides,
  };
}

/** Two sound orders: A confirmed (1 mug committed), B declined (its mug released). */
function soundState(): MeshState {
  return {
    orders: new Map([
      [A, { customerId: 's-0', status: 'CONFIRMED' }],
      [B, { customerId: 's-1', status: 'PAYMENT_FAILED' }],
    ]),
    allOrderIds: new Set([A, B]),
    notifications: new Map([
      [A, 1],
      [B, 1],
    ]),
    payments: new Map([
      [A, 'CHARGED'],
      [B, 'DECLINED'],
    ]),
    reservations: new Map([
      [A, 'COMMITTED'],
      [B, 'RELEASED'],
    ]),
    stock: new Map([['MUG', { stock: 9, reserved: 0, committed: 1 }]]),
  };
}

function soundRecord(): ScenarioRecord {
  return {
    sent: [sent(0), sent(1)],
    initialStock: new Map([['MUG', 10]]),
    unexpectedExits: new Map([['order', 0]]),
    notReady: [],
    outages: [],
    readyAfterHealMs: undefined,
    replays: new Map(),
    knownOrphans: new Set(),
  };
}

const invariantsOf = (state: MeshState, record: ScenarioRecord) => [
  ...new Set(evaluateInvariants(state, record).map((v) => v.invariant)),
];

describe('the invariant checker', () => {
  it('when everything is sound, then nothing is violated', () => {
    expect(evaluateInvariants(soundState(), soundRecord())).toEqual([]);
  });

  it('when an accepted order is still in progress, then invariant 1 is violated', () => {
    const state = soundState();
    state.orders.set(B, { customerId: 's-1', status: 'STOCK_RESERVED' });
    state.reservations.set(B, 'RESERVED');
    state.stock.set('MUG', { stock: 8, reserved: 1, committed: 1 });
    state.notifications.delete(B);
    expect(invariantsOf(state, soundRecord())).toEqual([1]);
  });

  it('when an order has an extra notification, then invariant 2 is violated', () => {
    const state = soundState();
    state.notifications.set(A, 2);
    expect(invariantsOf(state, soundRecord())).toEqual([2]);
  });

  it('when a notification names no order, then invariant 2 is violated', () => {
    const state = soundState();
    state.notifications.set('00000000-0000-4000-8000-0000000000ff', 1);
    expect(invariantsOf(state, soundRecord())).toEqual([2]);
  });

  it('when a failed order was charged, then invariant 3 is violated', () => {
    const state = soundState();
    state.payments.set(B, 'CHARGED');
    expect(invariantsOf(state, soundRecord())).toEqual([3]);
  });

  it('when a client was told "failed" for an order that was confirmed, without a key, then invariant 3 is violated', () => {
    const record = soundRecord();
    record.sent[0] = sent(0, { status: 502, orderId: undefined, idempotencyKey: undefined });
    expect(invariantsOf(soundState(), record)).toEqual([3]);
  });

  it('when the failed answer named the order, then the client can find it without a key', () => {
    const record = soundRecord();
    record.sent[0] = sent(0, { status: 504, orderId: A, idempotencyKey: undefined });
    expect(evaluateInvariants(soundState(), record)).toEqual([]);
  });

  it('when a retry with the key finds that order, then a failed answer breaks nothing', () => {
    const record = soundRecord();
    record.sent[0] = sent(0, { status: 504, orderId: undefined });
    record.replays.set('s-0', { status: 200, orderId: A });
    expect(evaluateInvariants(soundState(), record)).toEqual([]);
  });

  it('when stock went missing, then invariant 4 is violated', () => {
    const state = soundState();
    state.stock.set('MUG', { stock: 8, reserved: 0, committed: 1 });
    expect(invariantsOf(state, soundRecord())).toEqual([4]);
  });

  it('when a reservation is held for an order that does not exist, then invariant 4 is violated', () => {
    const state = soundState();
    state.reservations.set('00000000-0000-4000-8000-0000000000ee', 'RESERVED');
    expect(invariantsOf(state, soundRecord())).toEqual([4]);
  });

  it('when the orphan was reported by an earlier scenario, then it is not reported again', () => {
    const state = soundState();
    const orphan = '00000000-0000-4000-8000-0000000000ee';
    state.reservations.set(orphan, 'RESERVED');
    const record = soundRecord();
    record.knownOrphans = new Set([orphan]);
    expect(evaluateInvariants(state, record)).toEqual([]);
  });

  it('when a service crashed, or is not ready, then invariant 5 is violated', () => {
    const crashed = soundRecord();
    crashed.unexpectedExits.set('notification', 1);
    expect(invariantsOf(soundState(), crashed)).toEqual([5]);
    const down = soundRecord();
    down.notReady.push('inventory');
    expect(invariantsOf(soundState(), down)).toEqual([5]);
  });

  it('when the gateway answered 502, or slowly, or without Retry-After during an outage, then invariant 6 is violated', () => {
    for (const answer of [
      { status: 502, retryAfter: null, latencyMs: 100 },
      { status: 503, retryAfter: null, latencyMs: 100 },
      { status: 503, retryAfter: '1', latencyMs: 9_000 },
    ]) {
      const record = soundRecord();
      record.outages.push({ from: 1_000, to: 2_000 });
      record.sent[1] = sent(1, { ...answer, orderId: undefined });
      const state = soundState();
      // The request made no order: take B out of the state.
      state.orders.delete(B);
      state.allOrderIds.delete(B);
      state.notifications.delete(B);
      state.payments.delete(B);
      state.reservations.delete(B);
      expect(invariantsOf(state, record)).toEqual([6]);
    }
  });

  it('when the gateway took long to be ready after the heal, then invariant 6 is violated', () => {
    const record = soundRecord();
    record.readyAfterHealMs = 15_000;
    expect(invariantsOf(soundState(), record)).toEqual([6]);
  });
});
