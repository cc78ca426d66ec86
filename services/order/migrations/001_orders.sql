-- Up Migration

-- One row per order. The status values are the contract's OrderStatus (packages/contracts/src/orders.ts).
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL,
  status text NOT NULL
    CHECK (status IN ('PENDING', 'STOCK_RESERVED', 'CONFIRMED', 'REJECTED', 'PAYMENT_FAILED')),
  -- Why a REJECTED or PAYMENT_FAILED order ended as it did.
  status_reason text NULL,
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  currency text NOT NULL,
  -- The client's Idempotency-Key header; UNIQUE so two concurrent requests with one key make one order.
  idempotency_key text UNIQUE NULL,
  -- SHA-256 of the canonical request body, to tell a retry from a different request with the same key.
  request_hash text NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The recovery job looks for orders stuck on the way, oldest first.
CREATE INDEX orders_in_progress_idx ON orders (updated_at)
  WHERE status IN ('PENDING', 'STOCK_RESERVED');

CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, sku)
);

CREATE TABLE order_status_history (
  id bigserial PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  status text NOT NULL
    CHECK (status IN ('PENDING', 'STOCK_RESERVED', 'CONFIRMED', 'REJECTED', 'PAYMENT_FAILED')),
  reason text NULL,
  -- clock_timestamp(), not now(): several changes in one transaction still get distinct times.
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX order_status_history_order_id_idx ON order_status_history (order_id);

-- Down Migration

DROP TABLE order_status_history;
DROP TABLE order_items;
DROP TABLE orders;
