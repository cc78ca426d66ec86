export { type CapturedLogger, capturedLogger, type LogLine } from './captured-logger';
export { type InMemoryTelemetry, startInMemoryTelemetry } from './in-memory';
