import { ORDER_EVENTS_TOPIC } from '@mesh/contracts';
import { bool, ConfigError, loadConfig, num, port, str, url } from '@mesh/service-kit';

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
  CACHE_TTL_SECONDS: num({
    default: 60,
    desc: 'How long a cached product or product list lives in Redis, in seconds',
  }),
  RESERVATION_TTL_MS: num({
    default: 900_000,
    desc: 'How long stock stays reserved for an order that is neither committed nor released',
  }),
  RESERVATION_SWEEP_INTERVAL_MS: num({
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
  TOPIC_PARTITIONS: num({
    default: 3,
    desc: 'Partitions of the order-events topics when this service creates them',
  }),
  TOPIC_REPLICATION_FACTOR: num({
    default: 1,
    desc: 'Replication of the topics this service creates (1: single broker; production: 3)',
  }),
  MESSAGE_MAX_ATTEMPTS: num({
    default: 3,
    desc: 'Attempts for a failing order event before it goes to the dead-letter topic',
  }),
};

const POSITIVE = [
  'CACHE_TTL_SECONDS',
  'RESERVATION_TTL_MS',
  'RESERVATION_SWEEP_INTERVAL_MS',
  'TOPIC_PARTITIONS',
  'TOPIC_REPLICATION_FACTOR',
  'MESSAGE_MAX_ATTEMPTS',
] as const;

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
  const config = loadConfig(spec, env);
  // envalid's num() accepts 0, negatives and fractions; none of these is a usable duration,
  // partition count or attempt limit.
  const problems = POSITIVE.filter(
    (name) => !(Number.isInteger(config[name]) && config[name] > 0),
  ).map((name) => `${name} must be a positive integer (${spec[name].desc})`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
