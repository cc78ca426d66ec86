import { ORDER_EVENTS_TOPIC } from '@mesh/contracts';
import { bool, int, loadConfig, port, str, url } from '@mesh/service-kit';

const spec = {
  PORT: port({ default: 8084, desc: 'HTTP port (health and GET /notifications)' }),
  HOST: str({ default: '127.0.0.1', desc: 'Address to listen on (0.0.0.0 in containers)' }),
  DATABASE_URL: url({
    default: 'postgres://mesh:mesh@127.0.0.1:15432/mesh',
    desc: 'PostgreSQL; the service keeps its tables in the schema "notifications"',
  }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'pino log level',
  }),
  MIGRATE_ON_START: bool({ default: true, desc: 'Apply pending migrations at start' }),
  KAFKA_BROKERS: str({
    default: '127.0.0.1:19092',
    desc: 'Kafka bootstrap servers, comma-separated',
  }),
  ORDER_EVENTS_TOPIC: str({ default: ORDER_EVENTS_TOPIC, desc: 'Topic of the order events' }),
  KAFKA_GROUP_ID: str({ default: 'notification', desc: 'Consumer group of this service' }),
  TOPIC_PARTITIONS: int({
    min: 1,
    default: 3,
    desc: 'Partitions of order-events when this service creates it',
  }),
  TOPIC_REPLICATION_FACTOR: int({
    min: 1,
    default: 1,
    desc: 'Replication of the topics this service creates (1: single broker; production: 3)',
  }),
  MESSAGE_MAX_ATTEMPTS: int({
    min: 1,
    default: 3,
    desc: 'Attempts for a failing message before it goes to the dead-letter topic',
  }),
  EMAIL_LATENCY_MS: int({
    min: 0,
    default: 40,
    desc: 'Latency of the simulated e-mail provider (ms)',
  }),
};

// Spelt out: the inferred type would name envalid internals that declarations cannot.
export interface NotificationConfig {
  readonly PORT: number;
  readonly HOST: string;
  readonly DATABASE_URL: string;
  readonly LOG_LEVEL: string;
  readonly MIGRATE_ON_START: boolean;
  readonly KAFKA_BROKERS: string;
  readonly ORDER_EVENTS_TOPIC: string;
  readonly KAFKA_GROUP_ID: string;
  readonly TOPIC_PARTITIONS: number;
  readonly TOPIC_REPLICATION_FACTOR: number;
  readonly MESSAGE_MAX_ATTEMPTS: number;
  readonly EMAIL_LATENCY_MS: number;
}

/** The notification service's configuration; throws a ConfigError naming every bad variable. */
export function loadNotificationConfig(
  env: Record<string, string | undefined> = process.env,
): NotificationConfig {
  return loadConfig(spec, env);
}
