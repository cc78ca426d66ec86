-- Up Migration

-- Order events this service's consumer has applied, written in the same transaction as the
-- commit or release they caused: a redelivered event finds its id here and changes nothing.
-- Kafka delivers at least once; this table makes the effect happen once.
CREATE TABLE processed_messages (
  event_id uuid PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE processed_messages;
