import { ORDER_EVENTS_TOPIC } from '@mesh/contracts';
import { bool, int, loadConfig, port, str, url } from '@mesh/service-kit';

/** Every setting of the inventory service; the defaults run it against the local dev services. */
const spec = {
  PORT: port({ default: 8083, desc: 'HTTP port' }),
  HOST: str({ default: '127.0.0.1', desc: 'Address to listen on (0.0.0.0 in containers)' }),
  DATABASE_URL: url({
    default: 'postgres://mesh:mesh@127.0.0.1:15432/mesh',
    desc: 'PostgreSQL; the service uses the schema "inventory"',
  }),
  REDIS_URL: url({ default: 'redis://127.0.0.1:16379', desc: 'Redis, for the product cache' }),
  REDIS_KEY_PREFIX: str({ default: 'inventory:', desc: 'Prefix of every Redis key' }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'pino log level',
  }),
  MIGRATE_ON_START: bool({ default: true, desc: 'Apply pending migrations at start' }),
  CACHE_TTL_SECONDS: int({
    min: 1,
    default: 60,
    desc: 'How long a cached product or product list lives in Redis, in seconds',
  }),
  RESERVATION_TTL_MS: int({
    min: 1,
    default: 900_000,
    desc: 'How long stock stays reserved for an order that is neither committed nor released',
  }),
  RESERVATION_SWEEP_INTERVAL_MS: int({
    min: 1,
    default: 30_000,
    desc: 'How often expired reservations are released',
  }),
  KAFKA_BROKERS: str({
    default: '127.0.0.1:19092',
    desc: 'Kafka bootstrap servers, comma-separated',
  }),
  KAFKA_GROUP_ID: str({
    default: 'inventory',
    desc: 'Consumer group in which this service reads the order events',
  }),
  ORDER_EVENTS_TOPIC: str({ default: ORDER_EVENTS_TOPIC, desc: 'Topic of the order events' }),
  TOPIC_PARTITIONS: int({
    min: 1,
    default: 3,
    desc: 'Partitions of the order-events topics when this service creates them',
  }),
  TOPIC_REPLICATION_FACTOR: int({
    min: 1,
    default: 1,
    desc: 'Replication of the topics this service creates (1: single broker; production: 3)',
  }),
  MESSAGE_MAX_ATTEMPTS: int({
    min: 1,
    default: 3,
    desc: 'Attempts for a failing order event before it goes to the dead-letter topic',
  }),
};

export interface Config {
  PORT: number;
  HOST: string;
  DATABASE_URL: string;
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  LOG_LEVEL: string;
  MIGRATE_ON_START: boolean;
  CACHE_TTL_SECONDS: number;
  RESERVATION_TTL_MS: number;
  RESERVATION_SWEEP_INTERVAL_MS: number;
  KAFKA_BROKERS: string;
  KAFKA_GROUP_ID: string;
  ORDER_EVENTS_TOPIC: string;
  TOPIC_PARTITIONS: number;
  TOPIC_REPLICATION_FACTOR: number;
  MESSAGE_MAX_ATTEMPTS: number;
}

/** Reads the configuration once at start; a missing or bad variable fails with its name. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(spec, env);
}
