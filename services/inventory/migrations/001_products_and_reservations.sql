-- Up Migration

CREATE TABLE products (
  -- Byte order ("C"), the order the service sorts SKUs in before locking rows: every
  -- transaction locks products in the same order, so they queue instead of deadlocking.
  sku text COLLATE "C" PRIMARY KEY CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  -- The contract knows one currency; a reservation's total adds up prices, so they must agree.
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency = 'EUR'),
  -- Units that can still be reserved. The CHECK is the last line of defence against overselling:
  -- even a buggy query cannot take stock below zero.
  stock integer NOT NULL CHECK (stock >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservations (
  -- One reservation per order: the order id is the idempotency key of POST /reservations.
  order_id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The expiry sweep looks only at RESERVED rows past their time; COMMITTED and RELEASED rows pile
-- up forever and stay out of this index.
CREATE INDEX reservations_reserved_expiry_idx ON reservations (expires_at)
  WHERE status = 'RESERVED';

CREATE TABLE reservation_items (
  order_id uuid NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
  sku text COLLATE "C" NOT NULL REFERENCES products (sku),
  quantity integer NOT NULL CHECK (quantity > 0),
  -- The price at reservation time: a later price change must not change what the order pays.
  unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, sku)
);

-- Down Migration

DROP TABLE reservation_items;
DROP TABLE reservations;
DROP TABLE products;
