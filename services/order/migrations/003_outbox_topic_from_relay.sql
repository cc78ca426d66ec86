-- Up Migration

-- The relay owns its destination: it publishes every event to the topic in its own settings
-- (ORDER_EVENTS_TOPIC), so the copy of it in each row goes. Dropping it is safe for the rows
-- already waiting: they were all written for that one configured topic, and the relay publishes
-- them there like any new row.
ALTER TABLE outbox DROP COLUMN topic;

-- Down Migration

-- Rows written meanwhile get the contract's topic name (ORDER_EVENTS_TOPIC), the default.
ALTER TABLE outbox ADD COLUMN topic text NOT NULL DEFAULT 'order-events';
ALTER TABLE outbox ALTER COLUMN topic DROP DEFAULT;
