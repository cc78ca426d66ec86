export { type CapturedLogger, capturedLogger, type LogLine } from './captured-logger';
export {
  type InMemoryTelemetry,
  type InMemoryTelemetryOptions,
  startInMemoryTelemetry,
} from './in-memory';
