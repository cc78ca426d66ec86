import {
  type Counter,
  context,
  type Histogram,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { recordError } from './spans';

/*
 * The `process <topic>` span of one Kafka message, for a consumer that processes the messages of
 * a fetched batch itself (concurrently, each on its own). The kafkajs instrumentation makes such
 * spans only for `eachMessage`; for `eachBatch` it starts every message's span at once under a
 * `poll` span, ends them all with the batch and only links them to their `send` spans. A consumer
 * that marks its eachBatch handler with tracesEachMessage() is left alone by the preload's
 * instrumentation (see instrumentations.ts) and calls inProcessSpan() per message instead, which
 * makes the span the instrumentation's eachMessage would: a child of the message's `send` span,
 * active while the message is handled, with the same attributes and metrics.
 * https://opentelemetry.io/docs/specs/semconv/messaging/kafka/
 */

/** The property that marks an eachBatch handler as tracing each of its messages itself. */
export const TRACES_EACH_MESSAGE = Symbol.for('@mesh/telemetry.tracesEachMessage');

/** Marks a kafkajs eachBatch handler that calls inProcessSpan() for each of its messages. */
export function tracesEachMessage<Handler extends object>(eachBatch: Handler): Handler {
  Object.defineProperty(eachBatch, TRACES_EACH_MESSAGE, { value: true });
  return eachBatch;
}

/** Whether `eachBatch` was marked by tracesEachMessage(). */
export function isTracingEachMessage(eachBatch: unknown): boolean {
  return (
    typeof eachBatch === 'function' &&
    (eachBatch as unknown as Record<symbol, unknown>)[TRACES_EACH_MESSAGE] === true
  );
}

export interface ProcessedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  /** The message's headers as text: where the producer's trace context travels. */
  headers: Record<string, string>;
}

// The instrumentation's buckets for the same histogram, in seconds.
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

let instruments: { duration: Histogram; consumed: Counter } | undefined;

/** Taken at first use, not at module load, so that they belong to the SDK the process started. */
function messagingInstruments() {
  if (!instruments) {
    const meter = metrics.getMeter('@mesh/telemetry');
    instruments = {
      duration: meter.createHistogram('messaging.process.duration', {
        description: 'Duration of processing operation',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      consumed: meter.createCounter('messaging.client.consumed.messages', {
        description: 'Number of messages that were delivered to the application',
        unit: '{message}',
      }),
    };
  }
  return instruments;
}

/**
 * Runs `step` for one message inside its `process <topic>` CONSUMER span, the child of the span
 * that sent the message (read from its headers), and records the conventions' process duration
 * and consumed-messages metrics. A thrown error is recorded on the span and rethrown.
 */
export async function inProcessSpan<T>(message: ProcessedMessage, step: () => Promise<T>) {
  const started = Date.now();
  const sentFrom = propagation.extract(ROOT_CONTEXT, message.headers);
  const partition = String(message.partition);
  const metricAttributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'process',
    'messaging.destination.name': message.topic,
    'messaging.destination.partition.id': partition,
  };
  const span = trace.getTracer('@mesh/telemetry').startSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...metricAttributes,
        'messaging.operation.type': 'process',
        'messaging.kafka.message.key': message.key,
        'messaging.kafka.offset': message.offset,
      },
    },
    sentFrom,
  );
  const { duration, consumed } = messagingInstruments();
  consumed.add(1, metricAttributes);
  let errorType: string | undefined;
  try {
    return await context.with(trace.setSpan(sentFrom, span), step);
  } catch (error) {
    recordError(span, error);
    errorType = errorTypeOf(error);
    throw error;
  } finally {
    span.end();
    duration.record((Date.now() - started) / 1_000, {
      ...metricAttributes,
      ...(errorType ? { [ATTR_ERROR_TYPE]: errorType } : {}),
    });
  }
}

function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'Error';
}
