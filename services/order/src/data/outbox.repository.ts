import type { OrderEvent } from '@mesh/contracts';
import type { Pool, PoolClient } from '@mesh/service-kit';
import type { TraceCarrier } from '@mesh/telemetry';

type Db = Pool | PoolClient;

export interface NewOutboxEvent {
  event: OrderEvent;
  traceContext: TraceCarrier;
}

/** Appends an event to the outbox. Call inside the transaction of the change it reports. */
export async function appendOutboxEvent(tx: PoolClient, entry: NewOutboxEvent): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (id, order_id, event_type, payload, trace_context)
     VALUES ($1, $2, $3, $4, $5)`,
    [
      entry.event.id,
      entry.event.orderId,
      entry.event.type,
      JSON.stringify(entry.event),
      JSON.stringify(entry.traceContext),
    ],
  );
}

export interface PendingEvent {
  id: string;
  order_id: string;
  event_type: string;
  payload: OrderEvent;
  trace_context: TraceCarrier;
  created_at: Date;
}

/**
 * Locks up to `limit` unpublished events that are not parked, oldest first, until the
 * transaction ends.
 * SKIP LOCKED: relays of several replicas take disjoint batches instead of waiting for each
 * other, and none publishes an event another one holds.
 */
export async function claimPendingEvents(tx: PoolClient, limit: number): Promise<PendingEvent[]> {
  const { rows } = await tx.query<PendingEvent>(
    `SELECT id, order_id, event_type, payload, trace_context, created_at
     FROM outbox
     WHERE published_at IS NULL AND parked_at IS NULL
     ORDER BY created_at, id
     LIMIT $1
     FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows;
}

export async function markEventPublished(tx: PoolClient, eventId: string): Promise<void> {
  await tx.query('UPDATE outbox SET published_at = now() WHERE id = $1', [eventId]);
}

/** Counts a failed send and keeps its error; returns the event's failed sends so far. */
export async function recordPublishFailure(
  tx: PoolClient,
  eventId: string,
  error: string,
): Promise<number> {
  const { rows } = await tx.query<{ attempts: number }>(
    'UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1 RETURNING attempts',
    [eventId, error],
  );
  return rows[0]?.attempts ?? 0;
}

/** Takes the event out of the relay's queue until it is replayed. */
export async function parkEvent(tx: PoolClient, eventId: string): Promise<void> {
  await tx.query('UPDATE outbox SET parked_at = now() WHERE id = $1', [eventId]);
}

/**
 * Puts parked events back in the relay's queue, with their attempts counted afresh: those of
 * the given orders, or all when `orderIds` is undefined. Returns how many.
 */
export async function unparkEvents(db: Db, orderIds: string[] | undefined): Promise<number> {
  const result = await db.query(
    `UPDATE outbox SET parked_at = NULL, attempts = 0
     WHERE parked_at IS NOT NULL AND published_at IS NULL
       AND ($1::uuid[] IS NULL OR order_id = ANY($1::uuid[]))`,
    [orderIds ?? null],
  );
  return result.rowCount ?? 0;
}

export interface UnpublishedEvents {
  /** In the relay's queue. */
  pending: number;
  /** Out of it until replayed. */
  parked: number;
  /** How long the oldest pending event has waited (s); 0 when none waits. */
  oldestPendingAgeSeconds: number;
}

/** The unpublished events, as the outbox gauges report them. */
export async function countUnpublishedEvents(db: Db): Promise<UnpublishedEvents> {
  const { rows } = await db.query<UnpublishedEvents>(
    `SELECT count(*) FILTER (WHERE parked_at IS NULL)::int AS pending,
            count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked,
            coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)),
                     0)::float8 AS "oldestPendingAgeSeconds"
     FROM outbox WHERE published_at IS NULL`,
  );
  return rows[0] ?? { pending: 0, parked: 0, oldestPendingAgeSeconds: 0 };
}

/**
 * Deletes events published more than `retentionMs` ago, at most `limit` at a time (a short
 * statement, not one that locks the table for long). Unpublished events are never deleted.
 */
export async function purgePublishedEvents(
  db: Db,
  retentionMs: number,
  limit = 1_000,
): Promise<number> {
  const result = await db.query(
    `DELETE FROM outbox WHERE id IN (
       SELECT id FROM outbox
        WHERE published_at < now() - make_interval(secs => $1::double precision / 1000)
        LIMIT $2)`,
    [retentionMs, limit],
  );
  return result.rowCount ?? 0;
}
