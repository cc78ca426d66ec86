export { bool, ConfigError, decimal, int, loadConfig, num, port, str, url } from './config';
export { AppError, type AppErrorOptions, toProblem } from './errors';
export { checkReadiness, type Readiness, type ReadinessCheck } from './health';
export {
  type CallOptions,
  ServiceClient,
  type ServiceClientSettings,
  type ServiceResponse,
} from './http-client';
export {
  type BackgroundConsumer,
  type ConsumerSettings,
  createKafka,
  ensureTopics,
  type Kafka,
  type KafkaMessage,
  type KafkaSettings,
  PoisonMessageError,
  type Producer,
  parseMessage,
  type ReceivedMessage,
  type RunningConsumer,
  startConsumer,
  startConsumerInBackground,
  type TopicSpec,
} from './kafka';
export { exitOnSignals, failStart, type ShutdownStep, shutdown, withinTime } from './lifecycle';
export {
  claimEvent,
  createPool,
  migrate,
  type Pool,
  type PoolClient,
  withTransaction,
} from './postgres';
export { reportError } from './problem-reporting';
export { activeTraceId, traceResponseHeaders } from './trace-headers';
export { isTransientError } from './transient';
export { compileValidator, invalidRequest, type RequestPart, validate } from './validation';
