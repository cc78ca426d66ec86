export { type InMemoryTelemetry, startInMemoryTelemetry } from './in-memory';
