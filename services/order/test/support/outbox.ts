import type { OrderEvent } from '@mesh/contracts';
import type { Pool } from '@mesh/service-kit';

export interface OutboxRow {
  id: string;
  order_id: string;
  event_type: string;
  payload: OrderEvent;
  trace_context: { traceparent?: string; tracestate?: string; baggage?: string };
  created_at: Date;
  published_at: Date | null;
  parked_at: Date | null;
  attempts: number;
  last_error: string | null;
}

/** The outbox rows of some orders (all rows when none are given), oldest first. */
export async function outboxRows(pool: Pool, orderIds?: string[]): Promise<OutboxRow[]> {
  const { rows } = await pool.query<OutboxRow>(
    `SELECT * FROM outbox WHERE $1::uuid[] IS NULL OR order_id = ANY($1::uuid[])
     ORDER BY created_at, id`,
    [orderIds ?? null],
  );
  return rows;
}

/** Trace and parent span id of a W3C traceparent. */
export function parseTraceparent(traceparent: string | undefined): {
  traceId: string;
  spanId: string;
} {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(traceparent ?? '');
  if (!match) throw new Error(`not a traceparent: ${traceparent}`);
  return { traceId: match[1] as string, spanId: match[2] as string };
}
