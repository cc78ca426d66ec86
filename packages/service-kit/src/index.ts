export {
  bool,
  brokers,
  type Config,
  ConfigError,
  configLoader,
  decimal,
  int,
  loadConfig,
  maskCredentials,
  num,
  port,
  type Setting,
  type SettingOptions,
  str,
  url,
} from './config';
export {
  DEFAULT_FLAGS_FILE,
  faultsSpec,
  httpServerSpec,
  kafkaConsumerSpec,
  kafkaSpec,
  LOG_LEVELS,
  logSpec,
  postgresSpec,
  redisSpec,
} from './config-specs';
export { CONSUMER_LAG_METRIC } from './consumer-lag';
export {
  headersBeforeDeadLettering,
  type ReplayCommand,
  type ReplayResult,
  type ReplaySettings,
  replayDeadLetters,
  replayGroupId,
  runDeadLetterReplay,
} from './dead-letter-replay';
export { AppError, type AppErrorOptions, toProblem } from './errors';
export { type FaultFlag, type FaultFlags, type Faults, noFaults, startFaults } from './faults';
export {
  type AppSettings,
  checkReadiness,
  type OptionalReadinessCheck,
  optionalCheck,
  type Readiness,
  type ReadinessCheck,
  type ReadinessChecks,
  type ServerLimits,
} from './health';
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
  DEFAULT_CONSUMER_CONCURRENCY,
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
  type TopicLayout,
  type TopicSpec,
  topicLayout,
} from './kafka';
export { exitOnSignals, failStart, type ShutdownStep, shutdown, withinTime } from './lifecycle';
export {
  type PeriodicJob,
  type PeriodicJobSettings,
  startPeriodicJob,
} from './periodic-job';
export {
  claimEvent,
  createPool,
  migrate,
  type Pool,
  type PoolClient,
  withTransaction,
} from './postgres';
export { reportError } from './problem-reporting';
export { createRedis, type Redis, type RedisSettings } from './redis';
export {
  type Backoff,
  type BackoffSettings,
  backoff,
  pause,
  type RetryPolicy,
  type RetrySettings,
  retryPolicy,
} from './retry';
export { activeTraceId, traceResponseHeaders } from './trace-headers';
export { isTransientError } from './transient';
export { compileValidator, invalidRequest, type RequestPart, validate } from './validation';
