import { bool, decimal, int, loadConfig, port, str, url } from '@mesh/service-kit';

const spec = {
  PORT: port({ default: 8082, desc: 'HTTP port' }),
  HOST: str({ default: '127.0.0.1', desc: 'Address to listen on (0.0.0.0 in containers)' }),
  DATABASE_URL: url({
    default: 'postgres://mesh:mesh@127.0.0.1:15432/mesh',
    desc: 'PostgreSQL; the service keeps its tables in the schema "payments"',
  }),
  REDIS_URL: url({ default: 'redis://127.0.0.1:16379', desc: 'Redis, for the per-order lock' }),
  REDIS_KEY_PREFIX: str({ default: 'payment:', desc: 'Prefix of every Redis key of this service' }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    desc: 'pino log level',
  }),
  MIGRATE_ON_START: bool({ default: true, desc: 'Apply pending migrations at start' }),
  PAYMENT_LATENCY_MS: int({
    min: 0,
    max: 60_000,
    default: 120,
    desc: 'Mean latency of the simulated processor (ms)',
  }),
  PAYMENT_LATENCY_JITTER_MS: int({
    min: 0,
    max: 60_000,
    default: 80,
    desc: 'The processor latency varies uniformly by up to this much either way (ms)',
  }),
  PAYMENT_DECLINE_RATE: decimal({
    min: 0,
    max: 1,
    default: 0.05,
    desc: 'Share of charges the simulated processor declines, 0..1',
  }),
  PAYMENT_LOCK_TTL_MS: int({
    min: 100,
    max: 600_000,
    default: 10_000,
    desc: 'How long the per-order Redis lock lives if its holder never releases it (ms)',
  }),
};

// Spelt out because the inferred type names envalid's internals, which declarations cannot.
export interface PaymentConfig {
  readonly PORT: number;
  readonly HOST: string;
  readonly DATABASE_URL: string;
  readonly REDIS_URL: string;
  readonly REDIS_KEY_PREFIX: string;
  readonly LOG_LEVEL: string;
  readonly MIGRATE_ON_START: boolean;
  readonly PAYMENT_LATENCY_MS: number;
  readonly PAYMENT_LATENCY_JITTER_MS: number;
  readonly PAYMENT_DECLINE_RATE: number;
  readonly PAYMENT_LOCK_TTL_MS: number;
}

/** The payment service's configuration; throws a ConfigError naming every bad variable. */
export function loadPaymentConfig(
  env: Record<string, string | undefined> = process.env,
): PaymentConfig {
  return loadConfig(spec, env);
}
