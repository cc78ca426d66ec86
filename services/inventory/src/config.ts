import {
  configLoader,
  faultsSpec,
  httpServerSpec,
  int,
  kafkaConsumerSpec,
  kafkaSpec,
  logSpec,
  postgresSpec,
  redisSpec,
} from '@mesh/service-kit';

/** Every setting of the inventory service; the defaults run it against the local dev services. */
const spec = {
  ...httpServerSpec(8083),
  ...logSpec,
  ...postgresSpec('inventory'),
  ...redisSpec({ keyPrefix: 'inventory:', purpose: 'for the product cache' }),
  ...kafkaSpec,
  ...kafkaConsumerSpec('inventory'),
  ...faultsSpec,
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
};

/** Reads the configuration once at start; a missing or bad variable fails with its name. */
export const readConfig = configLoader(spec);

export type Config = ReturnType<typeof readConfig>;
