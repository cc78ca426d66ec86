-- Up Migration

-- The transactional outbox: an order's event is written in the transaction that gives the order
-- its terminal status, and the relay (src/outbox/outbox.relay.ts) publishes it to Kafka later.
-- So an event exists exactly when the status change committed, whether or not Kafka was up.
-- https://microservices.io/patterns/data/transactional-outbox.html
CREATE TABLE outbox (
  -- The event's id (OrderEvent.id): consumers deduplicate on it.
  id uuid PRIMARY KEY,
  order_id uuid NOT NULL,
  topic text NOT NULL,
  event_type text NOT NULL,
  -- The contract OrderEvent (packages/contracts/src/events.ts), published as the message value.
  payload jsonb NOT NULL,
  -- W3C traceparent/tracestate/baggage of the work that wrote the event, so the relay's publish
  -- joins that trace however late it happens.
  trace_context jsonb NOT NULL DEFAULT '{}',
  -- clock_timestamp(): events written in one transaction keep the order they were written in.
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz NULL,
  -- Failed publish attempts and the last failure, for whoever looks at a stalled relay.
  attempts integer NOT NULL DEFAULT 0,
  last_error text NULL
);

-- The relay's queue: unpublished events, oldest first. Partial, so published rows cost it nothing.
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;

-- Down Migration

DROP TABLE outbox;
