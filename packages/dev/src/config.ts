import { loadConfig, port, str } from '@mesh/service-kit';

/** The five services, in start order: the ones others call first (the gateway's readiness asks order and inventory). */
export const SERVICE_GROUPS = [
  ['inventory', 'payment', 'notification'],
  ['order'],
  ['gateway'],
] as const;
export type ServiceName = (typeof SERVICE_GROUPS)[number][number];
export const SERVICES: readonly ServiceName[] = SERVICE_GROUPS.flat();

/**
 * The runner's own settings. The ports default to the services' and the collector's usual ones;
 * a test moves them all to free ports. Every other variable in the runner's environment reaches
 * the services unchanged (e.g. PAYMENT_LATENCY_MS=800, or DATABASE_URL, REDIS_URL and
 * KAFKA_BROKERS for backing services of your own).
 */
const spec = {
  GATEWAY_PORT: port({ default: 8080, desc: 'Port of the gateway, the public API' }),
  ORDER_PORT: port({ default: 8081, desc: 'Port of the order service' }),
  PAYMENT_PORT: port({ default: 8082, desc: 'Port of the payment service' }),
  INVENTORY_PORT: port({ default: 8083, desc: 'Port of the inventory service' }),
  NOTIFICATION_PORT: port({ default: 8084, desc: 'Port of the notification service' }),
  STOREFRONT_PORT: port({
    default: 8090,
    desc: 'Port of the storefront, the shop in the browser (its origin is the one the gateway and the collector allow)',
  }),
  OTLP_GRPC_PORT: port({ default: 4317, desc: "The collector's OTLP/gRPC receiver" }),
  OTLP_HTTP_PORT: port({
    default: 4318,
    desc: "The collector's OTLP/HTTP receiver, which the services export to",
  }),
  COLLECTOR_HEALTH_PORT: port({ default: 13133, desc: "The collector's health check" }),
  COLLECTOR_METRICS_PORT: port({
    default: 8889,
    desc: 'Span metrics, service graph and the services metrics, in the Prometheus format',
  }),
  COLLECTOR_TELEMETRY_PORT: port({
    default: 8888,
    desc: "The collector's own metrics (accepted and refused spans, queues)",
  }),
  MESH_RUN_PREFIX: str({
    default: '',
    desc:
      'Prefix of the order-events topic, the consumer groups and the Redis keys, so that two ' +
      'runs can share a broker and a Redis (tests set it); empty: the services defaults',
  }),
};

export type RunConfig = ReturnType<typeof loadRunConfig>;

/** Reads the runner's settings; a bad value throws a ConfigError that names it. */
export function loadRunConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(spec, env);
  const servicePorts: Record<ServiceName, number> = {
    gateway: config.GATEWAY_PORT,
    order: config.ORDER_PORT,
    payment: config.PAYMENT_PORT,
    inventory: config.INVENTORY_PORT,
    notification: config.NOTIFICATION_PORT,
  };
  return {
    servicePorts,
    storefrontPort: config.STOREFRONT_PORT,
    collectorPorts: {
      otlpGrpc: config.OTLP_GRPC_PORT,
      otlpHttp: config.OTLP_HTTP_PORT,
      health: config.COLLECTOR_HEALTH_PORT,
      metrics: config.COLLECTOR_METRICS_PORT,
      telemetry: config.COLLECTOR_TELEMETRY_PORT,
    },
    prefix: config.MESH_RUN_PREFIX,
  };
}
