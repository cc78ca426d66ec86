import { join } from 'node:path';
import {
  configLoader,
  faultsSpec,
  httpServerSpec,
  int,
  kafkaSpec,
  logSpec,
  postgresSpec,
  url,
} from '@mesh/service-kit';
import { DEFAULT_DEADLINE_MARGIN_MS } from './domain/deadline';
import { DEFAULT_RECOVERY_LEASE_MS } from './domain/recover-orders';

/** The PostgreSQL schema the service owns. */
export const DB_SCHEMA = 'orders';

/** The order service's configuration: every variable, documented, with defaults for local dev. */
const spec = {
  ...httpServerSpec(8081),
  ...logSpec,
  ...postgresSpec(DB_SCHEMA),
  // The brokers, and the topic the outbox relay publishes to with the layout it creates it with.
  ...kafkaSpec,
  ...faultsSpec,
  INVENTORY_URL: url({
    default: 'http://127.0.0.1:8083',
    desc: 'Base URL of the inventory service',
  }),
  PAYMENT_URL: url({ default: 'http://127.0.0.1:8082', desc: 'Base URL of the payment service' }),
  INVENTORY_TIMEOUT_MS: int({
    min: 1,
    default: 2_000,
    desc: "Time limit of one call to inventory; a caller's deadline may cut it shorter",
  }),
  PAYMENT_TIMEOUT_MS: int({
    min: 1,
    default: 5_000,
    desc: "Time limit of one call to payment; a caller's deadline may cut it shorter",
  }),
  ORDER_DEADLINE_MARGIN_MS: int({
    min: 0,
    default: DEFAULT_DEADLINE_MARGIN_MS,
    // The budget of one placement under the gateway's deadline D (x-mesh-deadline-ms, its
    // ORDER_TIMEOUT_MS, 8000 by default): calls may run until D - margin (7500), each one cut to
    // min(its own limit, time left): reserve ≤ 2000, charge ≤ 5000, then the commit of the stock
    // and, after a failed charge, the void and the release get what is left of the 7500. The
    // margin pays for the database commits, reading the order back and the trip of the answer.
    // A step that runs out of time leaves the order in progress (answered 202) for the recovery
    // job instead of answering late.
    desc: "Time kept back from the caller's deadline (x-mesh-deadline-ms) for the commits and the answer: calls to inventory and payment end this long before it",
  }),
  ORDER_RECOVERY_AFTER_MS: int({
    min: 0,
    default: 60_000,
    // Must be well above the longest a request can take (inventory + payment time limits),
    // so the job never finishes an order that a request is still working on.
    desc: 'An order still in progress after this long is finished by the recovery job',
  }),
  ORDER_RECOVERY_INTERVAL_MS: int({
    min: 1,
    default: 15_000,
    desc: 'Pause between two passes of the recovery job',
  }),
  ORDER_RECOVERY_LEASE_MS: int({
    min: 1,
    default: DEFAULT_RECOVERY_LEASE_MS,
    // Must exceed a batch's work (10 orders, each up to a payment lookup and void and an
    // inventory call, at their time limits), or another replica may take an order meanwhile.
    desc: 'How long the recovery job holds the orders it claimed from the other replicas',
  }),
  BODY_LIMIT_BYTES: int({ min: 1, default: 16_384, desc: 'Largest request body accepted' }),
  OUTBOX_POLL_INTERVAL_MS: int({
    min: 1,
    default: 250,
    // New events wake the relay at once; the poll is for events another replica committed.
    desc: 'Pause between two outbox relay passes that found nothing more to publish',
  }),
  OUTBOX_BATCH_SIZE: int({
    min: 1,
    default: 50,
    desc: 'Outbox events locked and published per pass',
  }),
  OUTBOX_MAX_ATTEMPTS: int({
    min: 1,
    default: 5,
    // Kafka being unreachable parks nothing: only its refusal of the event itself counts.
    desc: 'Failed sends after which an order event Kafka refuses is parked (see outbox:replay)',
  }),
  OUTBOX_RETENTION_MS: int({
    min: 1,
    default: 86_400_000,
    desc: 'How long published outbox events are kept before they are deleted (ms)',
  }),
};

/** Reads the configuration once at start; a missing or bad variable fails with its name. */
export const loadOrderConfig = configLoader(spec);

export type OrderConfig = ReturnType<typeof loadOrderConfig>;

/** SQL migrations: from src/ under jest and from dist/ in production alike. */
export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');
