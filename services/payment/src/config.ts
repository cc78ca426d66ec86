import {
  configLoader,
  decimal,
  faultsSpec,
  httpServerSpec,
  int,
  logSpec,
  postgresSpec,
  redisSpec,
} from '@mesh/service-kit';

const spec = {
  ...httpServerSpec(8082),
  ...logSpec,
  ...postgresSpec('payments'),
  ...redisSpec({ keyPrefix: 'payment:', purpose: 'for the per-order lock' }),
  ...faultsSpec,
  PAYMENT_LATENCY_MS: int({
    min: 0,
    max: 60_000,
    default: 120,
    desc: 'Mean latency of the simulated processor (ms); the fault flag payment-latency-ms overrides it',
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
    desc: 'Share of charges the simulated processor declines, 0..1; the fault flag payment-decline-rate overrides it',
  }),
  PAYMENT_LOCK_TTL_MS: int({
    min: 100,
    max: 600_000,
    default: 10_000,
    desc: 'How long the per-order Redis lock lives if its holder never releases it (ms)',
  }),
};

/** The payment service's configuration; throws a ConfigError naming every bad variable. */
export const loadPaymentConfig = configLoader(spec);

export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;
