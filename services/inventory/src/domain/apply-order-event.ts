import type { OrderEvent } from '@mesh/contracts';
import { claimEvent, withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { findReservation, type ReservationRecord } from '../data/reservation.repository';
import { type Inventory, tracer } from './inventory';
import {
  applyTransition,
  commit,
  release,
  settleTransition,
  type TransitionResult,
} from './reservation-transitions';

/**
 * What an order event did to the order's reservation: `committed` or `released`; `unchanged`
 * (it had already ended this way, e.g. the order service committed over HTTP first);
 * `no_reservation` (e.g. a REJECTED order never got stock); `conflict` (it had ended the other
 * way); `duplicate` (this event was applied before).
 */
export type OrderEventOutcome = TransitionResult['outcome'] | 'no_reservation' | 'duplicate';

/**
 * Ends an order's reservation the way the order ended: `order.confirmed` commits it,
 * `order.cancelled` releases it (its stock back on sale, the cache invalidated).
 *
 * Exactly once per event: the event id is claimed in the same transaction as the change, so a
 * redelivery finds the claim and changes nothing, and a failure rolls both back for Kafka to
 * deliver the event again.
 *
 * Only a broken infrastructure makes this throw. A reservation that already ended the other
 * way (a cancel after a commit; a confirmation after the expiry sweep released the stock)
 * cannot be put right by retrying, so it is reported (error log, span, metric), claimed like
 * any other outcome and acknowledged: a person has to look at that order.
 */
export async function applyOrderEvent(
  inventory: Inventory,
  event: OrderEvent,
): Promise<OrderEventOutcome> {
  const transition = event.type === 'order.confirmed' ? commit : release;
  const attributes = {
    'mesh.order.id': event.orderId,
    'mesh.event.id': event.id,
    'mesh.event.type': event.type,
  };
  return inSpan(tracer, 'apply order event', { attributes }, async (span) => {
    const applied = await withTransaction(inventory.pool, async (client) => {
      if (!(await claimEvent(client, event.id))) return 'duplicate' as const;
      const record = await findReservation(client, event.orderId, { lock: true });
      if (!record) return 'no_reservation' as const;
      span.setAttribute('mesh.inventory.item_count', record.items.length);
      return applyTransition(client, record, transition);
    });
    const outcome = typeof applied === 'string' ? applied : applied.outcome;
    span.setAttribute('mesh.reservation.outcome', outcome);
    const context = { orderId: event.orderId, eventId: event.id, eventType: event.type, outcome };

    if (applied === 'duplicate') {
      span.addEvent('duplicate-event-skipped');
      inventory.logger.info(context, 'duplicate order event skipped');
    } else if (applied === 'no_reservation') {
      inventory.logger.info(context, 'order event: the order has no reservation');
    } else {
      await settleTransition(inventory, transition, applied);
      if (applied.outcome === 'conflict') reportConflict(inventory, span, event, applied.record);
      else inventory.logger.info(context, 'order event applied');
    }
    return outcome;
  });
}

function reportConflict(
  inventory: Inventory,
  span: Span,
  event: OrderEvent,
  record: ReservationRecord,
): void {
  const message = `${event.type} for a ${record.status} reservation; left as it is`;
  span.addEvent('reservation-conflict', { 'mesh.reservation.status': record.status });
  // An error status keeps the trace through tail sampling: this order needs a person.
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('error.type', 'reservation-conflict');
  inventory.logger.error(
    {
      orderId: event.orderId,
      eventId: event.id,
      eventType: event.type,
      reservationStatus: record.status,
    },
    `order event conflicts with the reservation: ${message}`,
  );
}
