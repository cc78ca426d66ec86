-- Up Migration
CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The final guard of "exactly once per order": whatever happens to the Redis lock, a second
  -- row for the same order cannot exist.
  order_id uuid NOT NULL UNIQUE,
  customer_id text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'CHARGED', 'DECLINED', 'VOIDED')),
  decline_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Only a declined payment says why.
  CONSTRAINT payments_decline_reason_only_when_declined
    CHECK ((status = 'DECLINED') = (decline_reason IS NOT NULL))
);

-- Down Migration
DROP TABLE payments;
