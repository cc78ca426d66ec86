import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Logger name, e.g. the module or component ("order-relay"). */
  name?: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. Default info. */
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

/** Fields that must never reach a log line or the log backend. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.password',
  '*.apiKey',
  '*.cardNumber',
];

/**
 * The one logger factory of Mesh: JSON lines with ISO time and level labels.
 *
 * Trace correlation and export are done by the pino instrumentation that the telemetry preload
 * installs: inside an active span every line carries `trace_id`, `span_id` and `trace_flags`, and
 * every record is also sent as an OpenTelemetry log record over OTLP (to Loki via the collector).
 * That only works when pino is first required after the preload, which `--require` guarantees.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (settings.name) options.name = settings.name;
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
