import { join } from 'node:path';
import { ORDER_EVENTS_TOPIC } from '@mesh/contracts';
import { bool, brokers, int, port, str, url } from './config';
import { DEFAULT_CONSUMER_CONCURRENCY } from './kafka';

/*
 * The variables every service reads, declared once. A service spreads the ones it needs into its
 * own spec and infers its config type from it:
 *
 *   const spec = { ...httpServerSpec(8082), ...logSpec, ...postgresSpec('payments'), OWN_VAR: … };
 *   export function loadPaymentConfig(env = process.env) { return loadConfig(spec, env); }
 *   export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;
 *
 * The defaults are those of the native set-up (scripts/services.sh); compose overrides them.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSpec = {
  LOG_LEVEL: str({ default: 'info', choices: LOG_LEVELS, desc: 'pino log level' }),
};

/** PORT and HOST; `what` describes what the port serves. */
export function httpServerSpec(defaultPort: number, what = 'HTTP port') {
  return {
    PORT: port({ default: defaultPort, desc: what }),
    HOST: str({ default: '127.0.0.1', desc: 'Address to listen on (0.0.0.0 in containers)' }),
  };
}

/** DATABASE_URL and MIGRATE_ON_START for a service that owns the PostgreSQL schema `schema`. */
export function postgresSpec(schema: string) {
  return {
    DATABASE_URL: url({
      default: 'postgres://mesh:mesh@127.0.0.1:15432/mesh',
      desc: `PostgreSQL; the service keeps its tables in the schema "${schema}"`,
    }),
    MIGRATE_ON_START: bool({ default: true, desc: 'Apply pending migrations at start' }),
  };
}

/** REDIS_URL and REDIS_KEY_PREFIX; `purpose` says what the service keeps there. */
export function redisSpec(settings: { keyPrefix: string; purpose: string }) {
  return {
    REDIS_URL: url({ default: 'redis://127.0.0.1:16379', desc: `Redis, ${settings.purpose}` }),
    REDIS_KEY_PREFIX: str({
      default: settings.keyPrefix,
      desc: 'Prefix of every Redis key of this service',
    }),
  };
}

/**
 * The brokers, the order-events topic, and the layout of every topic a service creates
 * (order-events and the dead-letter topics): whichever service starts first creates order-events,
 * so all of them must read its layout from the same variables (see topicLayout()).
 */
export const kafkaSpec = {
  KAFKA_BROKERS: brokers({
    default: ['127.0.0.1:19092'],
    desc: 'Kafka bootstrap servers, host:port, comma-separated',
  }),
  ORDER_EVENTS_TOPIC: str({ default: ORDER_EVENTS_TOPIC, desc: 'Topic of the order events' }),
  TOPIC_PARTITIONS: int({
    min: 1,
    default: 3,
    desc: 'Partitions of the topics this service creates (order-events, dead-letter topics)',
  }),
  TOPIC_REPLICATION_FACTOR: int({
    min: 1,
    default: 1,
    desc: 'Replication of the topics this service creates (1: single broker; production: 3)',
  }),
};

/**
 * KAFKA_GROUP_ID, MESSAGE_MAX_ATTEMPTS and KAFKA_CONSUMER_CONCURRENCY for a service that consumes
 * order-events.
 */
export function kafkaConsumerSpec(groupId: string) {
  return {
    KAFKA_GROUP_ID: str({ default: groupId, desc: 'Consumer group of this service' }),
    MESSAGE_MAX_ATTEMPTS: int({
      min: 1,
      default: 3,
      desc: 'Attempts for a failing message before it goes to the dead-letter topic',
    }),
    KAFKA_CONSUMER_CONCURRENCY: int({
      min: 1,
      default: DEFAULT_CONSUMER_CONCURRENCY,
      desc: 'Messages the consumer handles at once (never two with the same key, i.e. the same order)',
    }),
  };
}

/** The flag file of a native run: infra/flags/mesh.flagd.json of this repository. */
export const DEFAULT_FLAGS_FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'infra',
  'flags',
  'mesh.flagd.json',
);

/** FLAGS_FILE, for a service with workshop faults (see startFaults()). */
export const faultsSpec = {
  FLAGS_FILE: str({
    default: DEFAULT_FLAGS_FILE,
    desc: 'The workshop fault flags (flagd format), re-read when it changes; see `pnpm fault list`',
  }),
};
