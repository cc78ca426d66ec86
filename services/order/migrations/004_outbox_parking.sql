-- Up Migration

-- An event Kafka keeps refusing (e.g. larger than the broker accepts) is parked after a bounded
-- number of attempts instead of holding up every event behind it. A parked row keeps its last
-- error and waits for a person: `pnpm --filter @mesh/order outbox:replay` puts it back in the
-- queue (services/order/README.md).
ALTER TABLE outbox ADD COLUMN parked_at timestamptz NULL;

-- The relay's queue leaves parked rows out.
DROP INDEX outbox_unpublished_idx;
CREATE INDEX outbox_unpublished_idx ON outbox (created_at)
  WHERE published_at IS NULL AND parked_at IS NULL;

-- Down Migration

DROP INDEX outbox_unpublished_idx;
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;
ALTER TABLE outbox DROP COLUMN parked_at;
