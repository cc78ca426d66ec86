// The entry for business code. It loads no SDK, exporter or instrumentation: those come with
// the preload (`@mesh/telemetry/register`), and test tools with `@mesh/telemetry-testing`.
export { ATTR_DEPLOYMENT_ENVIRONMENT_NAME } from './attributes';
export {
  captureTraceContext,
  contextFromCarrier,
  type TraceCarrier,
  withTraceContext,
} from './context';
export { createLogger, type Logger, type LoggerSettings } from './logger';
export {
  inProcessSpan,
  isTracingEachMessage,
  type ProcessedMessage,
  TRACES_EACH_MESSAGE,
  tracesEachMessage,
} from './messaging';
export { type ShutdownResult, shutdownTelemetry } from './shutdown';
export { inSpan, recordError, type SpanOptions } from './spans';
export { type BaggageLimits, setTraceEdgePolicy, type TraceEdgePolicy } from './trace-edge';
