import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

/*
 * An OTLP/HTTP receiver for end-to-end tests: point a process at it with
 * OTEL_EXPORTER_OTLP_ENDPOINT=<capture.url> and OTEL_EXPORTER_OTLP_PROTOCOL=http/json (an
 * OpenTelemetry Collector's otlphttp exporter: `encoding: json`), then assert what arrived.
 * It reads OTLP/JSON only (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding),
 * so it needs no protobuf schema; a protobuf export is refused with 415.
 */

// ---------------------------------------------------------------------------------------------
// What tests get back.

/** An attribute value or log body as plain JS. int64 becomes a number (exact up to 2^53). */
export type CapturedValue =
  | string
  | number
  | boolean
  | null
  | CapturedValue[]
  | { [key: string]: CapturedValue };

export type CapturedAttributes = Record<string, CapturedValue>;

/** What every captured item carries about where it came from. */
interface CapturedOrigin {
  /** The resource's `service.name`, if it had one. */
  serviceName: string | undefined;
}

export type CapturedSpanKind =
  | 'UNSPECIFIED'
  | 'INTERNAL'
  | 'SERVER'
  | 'CLIENT'
  | 'PRODUCER'
  | 'CONSUMER';
export type CapturedStatusCode = 'UNSET' | 'OK' | 'ERROR';

export interface CapturedSpan extends CapturedOrigin {
  /** Lowercase hex, 32 characters. */
  traceId: string;
  /** Lowercase hex, 16 characters. */
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId?: string;
  name: string;
  kind: CapturedSpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: CapturedAttributes;
  status: { code: CapturedStatusCode };
  links: { traceId: string; spanId: string }[];
}

export interface CapturedLog extends CapturedOrigin {
  severityText: string;
  /** Undefined when the record had no body. */
  body: CapturedValue | undefined;
  attributes: CapturedAttributes;
  /** Undefined when the record was emitted outside a span. */
  traceId?: string;
  spanId?: string;
}

/** One metric from one export; narrow on `type` to reach the data points. */
export type CapturedMetric = CapturedOrigin & { name: string } & (
    | { type: 'gauge' | 'sum'; dataPoints: { attributes: CapturedAttributes; value: number }[] }
    | { type: 'histogram'; dataPoints: { attributes: CapturedAttributes; count: number }[] }
  );

// ---------------------------------------------------------------------------------------------
// The receiver.

/**
 * How the receiver answers exports: `ok` (the default) stores and answers 200; `unavailable`
 * answers 503 without Retry-After, so exporters fall back to their own backoff; `hang` never
 * answers and holds the connection until `close()`.
 */
export type CaptureResponseMode = 'ok' | 'unavailable' | 'hang';

export interface WaitForOptions {
  /** Default 10 s: long enough for a BatchSpanProcessor's 5 s schedule. */
  timeoutMs?: number;
  /** Named in the timeout error, e.g. "the payment CLIENT span". */
  what?: string;
}

export interface OtlpCapture {
  /** The OTLP base endpoint without a trailing slash, e.g. http://127.0.0.1:43817. */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  spans(): CapturedSpan[];
  logs(): CapturedLog[];
  /** One entry per metric per export. */
  metrics(): CapturedMetric[];
  /**
   * Polls `probe` until it returns something other than undefined, null or false, and resolves
   * with that. A probe that throws counts as "not yet", so `expect` can be used inside it. On
   * timeout, rejects with an error naming `what` and summarising what was captured.
   */
  waitFor<T>(probe: () => T | undefined | null | false, options?: WaitForOptions): Promise<T>;
  /** Changes how later requests are answered; requests already hanging stay so until close(). */
  respondWith(mode: CaptureResponseMode): void;
  /** Export requests per signal path, whatever they were answered. */
  requestCount(): Record<Signal, number>;
  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

type Signal = 'traces' | 'logs' | 'metrics';

const SIGNAL_PATHS: ReadonlyMap<string, Signal> = new Map([
  ['/v1/traces', 'traces'],
  ['/v1/logs', 'logs'],
  ['/v1/metrics', 'metrics'],
]);

const POLL_INTERVAL_MS = 25;

const gunzipAsync = promisify(gunzip);

export interface OtlpCaptureOptions {
  /**
   * The one browser origin allowed to export here, as a collector's
   * `receivers.otlp.protocols.http.cors.allowed_origins` does (e.g. a web app's origin):
   * its preflights are answered and its exports readable; any other origin gets no CORS header.
   * Default: none, as a collector without `cors`.
   */
  corsOrigin?: string;
}

/** Starts a capture receiver on a free local port and resolves once it listens. */
export async function startOtlpCapture(options: OtlpCaptureOptions = {}): Promise<OtlpCapture> {
  const capture = new CaptureReceiver(options.corsOrigin);
  const server = createServer((req, res) => {
    capture.handle(req, res).catch(() => {
      // The client went away mid-request, or the receiver is closing: nobody to answer.
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return capture.attach(`http://127.0.0.1:${port}`, server);
}

class CaptureReceiver {
  private readonly spanStore: CapturedSpan[] = [];
  private readonly logStore: CapturedLog[] = [];
  private readonly metricStore: CapturedMetric[] = [];
  private readonly counts: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0 };
  private mode: CaptureResponseMode = 'ok';

  constructor(private readonly corsOrigin: string | undefined) {}

  attach(url: string, server: ReturnType<typeof createServer>): OtlpCapture {
    let closed: Promise<void> | undefined;
    return {
      url,
      spans: () => [...this.spanStore],
      logs: () => [...this.logStore],
      metrics: () => [...this.metricStore],
      waitFor: (probe, options) => this.waitFor(probe, options),
      respondWith: (mode) => {
        this.mode = mode;
      },
      requestCount: () => ({ ...this.counts }),
      close: () => {
        closed ??= new Promise<void>((resolve) => {
          server.close(() => resolve());
          // close() alone waits for open connections, and a hanging request never ends.
          server.closeAllConnections();
        });
        return closed;
      },
    };
  }

  /** Answers one request; every refusal is an `ExportRefused` turned into a reply in one place. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const allowedOrigin = this.corsOrigin !== undefined && req.headers.origin === this.corsOrigin;
    if (allowedOrigin) res.setHeader('Access-Control-Allow-Origin', req.headers.origin as string);
    if (req.method === 'OPTIONS') {
      req.resume();
      if (allowedOrigin) {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '',
          'Access-Control-Max-Age': '600',
        });
      } else {
        res.writeHead(403);
      }
      res.end();
      return;
    }
    try {
      await this.receive(req, res);
    } catch (error) {
      if (!(error instanceof ExportRefused)) throw error;
      // Read what is left so the client sees the answer, not a reset connection.
      req.resume();
      res.writeHead(error.status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(error.message);
    }
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = SIGNAL_PATHS.get(new URL(req.url ?? '/', 'http://capture').pathname);
    if (!signal) {
      throw new ExportRefused(
        404,
        'Not an OTLP/HTTP path: use /v1/traces, /v1/metrics or /v1/logs.',
      );
    }
    this.counts[signal] += 1;

    if (this.mode === 'hang') {
      // Take the body so the client finishes sending and waits for an answer that never comes.
      req.resume();
      return;
    }
    if (this.mode === 'unavailable') {
      throw new ExportRefused(503, 'The capture is simulating an unavailable collector.');
    }

    const mediaType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (mediaType === 'application/x-protobuf') {
      throw new ExportRefused(
        415,
        'This OTLP capture reads OTLP/JSON only: export with OTEL_EXPORTER_OTLP_PROTOCOL=http/json ' +
          '(a collector otlphttp exporter: encoding: json).',
      );
    }
    if (mediaType !== 'application/json') {
      throw new ExportRefused(415, 'OTLP/HTTP bodies here are application/json.');
    }

    try {
      const request = message(JSON.parse((await readBody(req)).toString('utf8')), 'request');
      if (signal === 'traces') this.spanStore.push(...normaliseTraces(request));
      else if (signal === 'logs') this.logStore.push(...normaliseLogs(request));
      else this.metricStore.push(...normaliseMetrics(request));
    } catch (error) {
      throw new ExportRefused(400, `Undecodable ${signal} export: ${messageOf(error)}`);
    }
    // An empty response means "all accepted" (https://opentelemetry.io/docs/specs/otlp/#full-success-1).
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  }

  async waitFor<T>(
    probe: () => T | undefined | null | false,
    { timeoutMs = 10_000, what = 'the probe to pass' }: WaitForOptions = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = probe();
        if (value !== undefined && value !== null && value !== false) return value;
        lastError = undefined;
      } catch (error) {
        lastError = error;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const cause = lastError === undefined ? '' : `\nLast probe error: ${messageOf(lastError)}`;
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${what}.\n${this.summary()}${cause}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_INTERVAL_MS, left)));
    }
  }

  /** What a failing test needs to see to tell "nothing arrived" from "the wrong thing arrived". */
  private summary(): string {
    const { traces, metrics, logs } = this.counts;
    const lines = [
      `Captured ${plural(this.spanStore.length, 'span')}, ${plural(this.logStore.length, 'log record')}, ` +
        `${plural(this.metricStore.length, 'metric')} from export requests ` +
        `(traces ${traces}, metrics ${metrics}, logs ${logs}).`,
    ];
    const namesByService = new Map<string, Set<string>>();
    for (const span of this.spanStore) {
      const service = span.serviceName ?? '(no service.name)';
      namesByService.set(service, (namesByService.get(service) ?? new Set()).add(span.name));
    }
    for (const [service, names] of namesByService) {
      lines.push(`  spans of ${service}: ${[...names].join(', ')}`);
    }
    return lines.join('\n');
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The whole body, un-gzipped when it says so (a collector's otlphttp exporter gzips). */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding']?.trim().toLowerCase() === 'gzip'
    ? gunzipAsync(body)
    : body;
}

/** A request the receiver turns down, with the HTTP status it answers. */
class ExportRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding. OTLP/JSON is the protobuf JSON mapping with lowerCamelCase field names, integer
// enums, and trace and span ids as hex; a body can hold anything, so it is read defensively.

class OtlpDecodeError extends Error {}

type Fields = Record<string, unknown>;

function has(fields: Fields, key: string): boolean {
  return fields[key] !== undefined && fields[key] !== null;
}

function message(value: unknown, at: string): Fields {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new OtlpDecodeError(`${at}: expected an object`);
  return value as Fields;
}

function list(value: unknown, at: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${at}: expected an array`);
  return value;
}

function text(value: unknown, at: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new OtlpDecodeError(`${at}: expected a string`);
  return value;
}

/** 64-bit integers come as numbers or as decimal strings. */
function int64(value: unknown, at: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new OtlpDecodeError(`${at}: expected an integer`);
}

/** Doubles: numbers, or strings such as "NaN" and "Infinity" that JSON numbers cannot spell. */
function double(value: unknown, at: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (!Number.isNaN(parsed) || value === 'NaN') return parsed;
  }
  throw new OtlpDecodeError(`${at}: expected a number`);
}

/** An id as lowercase hex; undefined when empty (a root span's parent, a log outside a span). */
function readId(value: unknown, bytes: 8 | 16, at: string): string | undefined {
  const hex = text(value, at).toLowerCase();
  if (hex === '') return undefined;
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex)) {
    throw new OtlpDecodeError(`${at}: expected a ${bytes}-byte id in hex, got "${hex}"`);
  }
  return hex;
}

function anyValue(value: unknown, at: string): CapturedValue {
  const v = message(value, at);
  if (has(v, 'stringValue')) return text(v.stringValue, `${at}.stringValue`);
  if (has(v, 'boolValue')) {
    if (typeof v.boolValue !== 'boolean') throw new OtlpDecodeError(`${at}: expected a boolean`);
    return v.boolValue;
  }
  if (has(v, 'intValue')) return Number(int64(v.intValue, `${at}.intValue`));
  if (has(v, 'doubleValue')) return double(v.doubleValue, `${at}.doubleValue`);
  if (has(v, 'arrayValue')) {
    const values = list(message(v.arrayValue, at).values, `${at}.arrayValue.values`);
    return values.map((item, i) => anyValue(item, `${at}.arrayValue.values[${i}]`));
  }
  if (has(v, 'kvlistValue')) {
    return attributes(message(v.kvlistValue, at).values, `${at}.kvlistValue.values`);
  }
  // An AnyValue with nothing set means "empty".
  return null;
}

function attributes(value: unknown, at: string): CapturedAttributes {
  // fromEntries defines own properties, so a key such as "__proto__" stays an attribute.
  return Object.fromEntries(
    list(value, at).map((item, i) => {
      const kv = message(item, `${at}[${i}]`);
      return [text(kv.key, `${at}[${i}].key`), anyValue(kv.value, `${at}[${i}].value`)];
    }),
  );
}

/**
 * Walks resource → scope → item, the nesting all three export requests share, and yields each
 * item with the origin it inherits and its path for error messages.
 */
function* walk(
  request: Fields,
  resourceKey: string,
  scopeKey: string,
  itemKey: string,
): Generator<[Fields, CapturedOrigin, string]> {
  for (const [r, rawEntry] of list(request[resourceKey], resourceKey).entries()) {
    const atResource = `${resourceKey}[${r}]`;
    const entry = message(rawEntry, atResource);
    const resource = attributes(
      message(entry.resource, `${atResource}.resource`).attributes,
      `${atResource}.resource.attributes`,
    );
    const serviceName = resource['service.name'];
    const origin: CapturedOrigin = {
      serviceName: typeof serviceName === 'string' ? serviceName : undefined,
    };
    for (const [s, rawScope] of list(entry[scopeKey], `${atResource}.${scopeKey}`).entries()) {
      const atScope = `${atResource}.${scopeKey}[${s}]`;
      const items = message(rawScope, atScope)[itemKey];
      for (const [i, item] of list(items, `${atScope}.${itemKey}`).entries()) {
        const at = `${atScope}.${itemKey}[${i}]`;
        yield [message(item, at), origin, at];
      }
    }
  }
}

// OTLP numbers span kinds from 1 (INTERNAL); 0 is unspecified.
const SPAN_KINDS: readonly CapturedSpanKind[] = [
  'UNSPECIFIED',
  'INTERNAL',
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
];
const STATUS_CODES: readonly CapturedStatusCode[] = ['UNSET', 'OK', 'ERROR'];

function enumName<T>(names: readonly T[], value: unknown, at: string): T {
  const index = Number(int64(value, at));
  const name = names[index];
  if (name === undefined) throw new OtlpDecodeError(`${at}: unknown value ${index}`);
  return name;
}

function normaliseTraces(request: Fields): CapturedSpan[] {
  const spans: CapturedSpan[] = [];
  for (const [span, origin, at] of walk(request, 'resourceSpans', 'scopeSpans', 'spans')) {
    const status = message(span.status, `${at}.status`);
    spans.push({
      ...origin,
      traceId: readId(span.traceId, 16, `${at}.traceId`) ?? '',
      spanId: readId(span.spanId, 8, `${at}.spanId`) ?? '',
      parentSpanId: readId(span.parentSpanId, 8, `${at}.parentSpanId`),
      name: text(span.name, `${at}.name`),
      kind: enumName(SPAN_KINDS, span.kind, `${at}.kind`),
      startTimeUnixNano: int64(span.startTimeUnixNano, `${at}.startTimeUnixNano`),
      endTimeUnixNano: int64(span.endTimeUnixNano, `${at}.endTimeUnixNano`),
      attributes: attributes(span.attributes, `${at}.attributes`),
      status: { code: enumName(STATUS_CODES, status.code, `${at}.status.code`) },
      links: list(span.links, `${at}.links`).map((raw, i) => {
        const link = message(raw, `${at}.links[${i}]`);
        return {
          traceId: readId(link.traceId, 16, `${at}.links[${i}].traceId`) ?? '',
          spanId: readId(link.spanId, 8, `${at}.links[${i}].spanId`) ?? '',
        };
      }),
    });
  }
  return spans;
}

function normaliseLogs(request: Fields): CapturedLog[] {
  const logs: CapturedLog[] = [];
  for (const [record, origin, at] of walk(request, 'resourceLogs', 'scopeLogs', 'logRecords')) {
    logs.push({
      ...origin,
      severityText: text(record.severityText, `${at}.severityText`),
      body: has(record, 'body') ? anyValue(record.body, `${at}.body`) : undefined,
      attributes: attributes(record.attributes, `${at}.attributes`),
      traceId: readId(record.traceId, 16, `${at}.traceId`),
      spanId: readId(record.spanId, 8, `${at}.spanId`),
    });
  }
  return logs;
}

/** Gauges, sums and explicit-bucket histograms: what the SDK makes of Mesh's instruments. */
function normaliseMetrics(request: Fields): CapturedMetric[] {
  const metrics: CapturedMetric[] = [];
  for (const [metric, origin, at] of walk(request, 'resourceMetrics', 'scopeMetrics', 'metrics')) {
    const name = text(metric.name, `${at}.name`);
    const points = (key: string) =>
      list(message(metric[key], `${at}.${key}`).dataPoints, `${at}.${key}.dataPoints`).map(
        (raw, i): [Fields, string] => [
          message(raw, `${at}.${key}.dataPoints[${i}]`),
          `${at}.${key}.dataPoints[${i}]`,
        ],
      );
    const numberPoints = (key: string) =>
      points(key).map(([point, pointAt]) => ({
        attributes: attributes(point.attributes, `${pointAt}.attributes`),
        value: has(point, 'asInt')
          ? Number(int64(point.asInt, `${pointAt}.asInt`))
          : double(point.asDouble, `${pointAt}.asDouble`),
      }));

    if (has(metric, 'gauge')) {
      metrics.push({ ...origin, name, type: 'gauge', dataPoints: numberPoints('gauge') });
    } else if (has(metric, 'sum')) {
      metrics.push({ ...origin, name, type: 'sum', dataPoints: numberPoints('sum') });
    } else if (has(metric, 'histogram')) {
      const dataPoints = points('histogram').map(([point, pointAt]) => ({
        attributes: attributes(point.attributes, `${pointAt}.attributes`),
        count: Number(int64(point.count, `${pointAt}.count`)),
      }));
      metrics.push({ ...origin, name, type: 'histogram', dataPoints });
    }
    // Other kinds (exponential histograms, summaries) are not made by Mesh; they are skipped.
  }
  return metrics;
}
