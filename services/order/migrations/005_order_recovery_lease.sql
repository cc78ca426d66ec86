-- Up Migration

-- The recovery job claims the stale orders it works on until `claimed_until` (a lease) instead
-- of holding their row locks while it calls payment and inventory: no transaction stays open
-- across HTTP calls, and replicas of the job still never work on one order at once. The claim
-- of a job that died runs out by itself.
ALTER TABLE orders ADD COLUMN claimed_until timestamptz NULL;

-- Down Migration

ALTER TABLE orders DROP COLUMN claimed_until;
