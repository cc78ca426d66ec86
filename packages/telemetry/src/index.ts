export {
  captureTraceContext,
  contextFromCarrier,
  type TraceCarrier,
  withTraceContext,
} from './context';
export { createLogger, type Logger, type LoggerSettings } from './logger';
export { ATTR_DEPLOYMENT_ENVIRONMENT_NAME } from './resource';
export { type ShutdownResult, shutdownTelemetry, startTelemetry } from './sdk';
export { inSpan, recordError, type SpanOptions } from './spans';
