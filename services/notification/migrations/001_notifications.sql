-- Up Migration

-- One row per notification sent. event_id is unique: an order event notifies at most once,
-- however often Kafka delivers it.
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  order_id uuid NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  event_type text NOT NULL CHECK (event_type IN ('order.confirmed', 'order.cancelled')),
  channel text NOT NULL CHECK (channel IN ('email')),
  recipient text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_order_id_idx ON notifications (order_id, sent_at);

-- Events this consumer has processed, written in the same transaction as the notification:
-- a redelivered event finds its id here and is skipped.
CREATE TABLE processed_messages (
  event_id uuid PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE processed_messages;
DROP TABLE notifications;
