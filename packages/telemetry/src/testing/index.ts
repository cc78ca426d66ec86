export { type InMemoryTelemetry, startInMemoryTelemetry } from './in-memory';
export * from './otlp-capture';
