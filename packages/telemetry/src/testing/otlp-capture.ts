import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Enum } from 'protobufjs';
import { exportRequestTypes, otlpEnums, rpcStatusType } from './otlp-proto';

/*
 * An OTLP/HTTP receiver for end-to-end tests: point a service at it with
 * OTEL_EXPORTER_OTLP_ENDPOINT=<capture.url>, then assert what arrived. It speaks the protocol as
 * the spec describes it (https://opentelemetry.io/docs/specs/otlp/#otlphttp), so exporters see a
 * real collector, including a sick one when a test asks for it.
 */

// ---------------------------------------------------------------------------------------------
// What tests get back: both encodings normalised to the same plain objects.

/** An attribute value or log body as plain JS. int64 becomes a number (exact up to 2^53). */
export type CapturedValue =
  | string
  | number
  | boolean
  | Uint8Array
  | null
  | CapturedValue[]
  | { [key: string]: CapturedValue };

export type CapturedAttributes = Record<string, CapturedValue>;

export interface CapturedScope {
  name: string;
  version?: string;
}

/** What every captured item carries about where it came from. */
interface CapturedOrigin {
  /** Resource attributes. */
  resource: CapturedAttributes;
  /** The resource's `service.name`, if it had one. */
  serviceName: string | undefined;
  scope: CapturedScope;
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
  traceState?: string;
  name: string;
  kind: CapturedSpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: CapturedAttributes;
  status: { code: CapturedStatusCode; message?: string };
  events: { name: string; timeUnixNano: bigint; attributes: CapturedAttributes }[];
  links: { traceId: string; spanId: string; traceState?: string; attributes: CapturedAttributes }[];
}

export interface CapturedLog extends CapturedOrigin {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  /** 1–24 as in the logs data model; 0 when unspecified. */
  severityNumber: number;
  severityText: string;
  /** Undefined when the record had no body. */
  body: CapturedValue | undefined;
  attributes: CapturedAttributes;
  eventName?: string;
  /** Undefined when the record was emitted outside a span. */
  traceId?: string;
  spanId?: string;
}

export interface CapturedExemplar {
  attributes: CapturedAttributes;
  timeUnixNano: bigint;
  value: number;
  traceId?: string;
  spanId?: string;
}

interface CapturedPoint {
  attributes: CapturedAttributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
}

export interface CapturedNumberDataPoint extends CapturedPoint {
  value: number;
  exemplars: CapturedExemplar[];
}

export interface CapturedHistogramDataPoint extends CapturedPoint {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  /** One more entry than `explicitBounds`: the last bucket is everything above the last bound. */
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: CapturedExemplar[];
}

export interface CapturedExponentialHistogramDataPoint extends CapturedPoint {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: { offset: number; bucketCounts: number[] };
  negative: { offset: number; bucketCounts: number[] };
  exemplars: CapturedExemplar[];
}

export interface CapturedSummaryDataPoint extends CapturedPoint {
  count: number;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}

export type CapturedTemporality = 'UNSPECIFIED' | 'DELTA' | 'CUMULATIVE';

interface CapturedMetricBase extends CapturedOrigin {
  name: string;
  description: string;
  unit: string;
}

/** What a metric's data holds, by kind; `CapturedMetric` narrows on `type`. */
export type CapturedMetricData =
  | { type: 'gauge'; dataPoints: CapturedNumberDataPoint[] }
  | {
      type: 'sum';
      aggregationTemporality: CapturedTemporality;
      isMonotonic: boolean;
      dataPoints: CapturedNumberDataPoint[];
    }
  | {
      type: 'histogram';
      aggregationTemporality: CapturedTemporality;
      dataPoints: CapturedHistogramDataPoint[];
    }
  | {
      type: 'exponentialHistogram';
      aggregationTemporality: CapturedTemporality;
      dataPoints: CapturedExponentialHistogramDataPoint[];
    }
  | { type: 'summary'; dataPoints: CapturedSummaryDataPoint[] };

/** One metric from one export; narrow on `type` to reach the data points. */
export type CapturedMetric = CapturedMetricBase & CapturedMetricData;

// ---------------------------------------------------------------------------------------------
// The receiver.

/**
 * How the receiver answers exports: `ok` (the default) stores and answers 200; `unavailable`
 * answers 503 without Retry-After, so exporters fall back to their own backoff; `hang` never
 * answers and holds the connection until `close()`.
 */
export type CaptureResponseMode = 'ok' | 'unavailable' | 'hang';

export interface OtlpCaptureOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: tests never need the receiver reachable from elsewhere. */
  host?: string;
  /** Largest accepted body, before and after gzip; bigger ones get 413. Default 32 MiB. */
  maxBodyBytes?: number;
}

export interface WaitForOptions {
  /** Default 10 s: long enough for a BatchSpanProcessor's 5 s schedule. */
  timeoutMs?: number;
  /** Default 25 ms. */
  intervalMs?: number;
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
  requestCount(): { traces: number; metrics: number; logs: number };
  /** Forgets captured data and request counts. */
  clear(): void;
  /** Stops listening and drops every connection, hanging ones included. */
  close(): Promise<void>;
}

type Signal = 'traces' | 'logs' | 'metrics';
type Encoding = 'protobuf' | 'json';

const SIGNAL_PATHS: ReadonlyMap<string, Signal> = new Map([
  ['/v1/traces', 'traces'],
  ['/v1/logs', 'logs'],
  ['/v1/metrics', 'metrics'],
]);

const CONTENT_TYPES: Readonly<Record<Encoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

// google.rpc.Code values used in failure bodies (https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto).
const RPC_INVALID_ARGUMENT = 3;
const RPC_RESOURCE_EXHAUSTED = 8;
const RPC_UNAVAILABLE = 14;

const gunzipAsync = promisify(gunzip);

/** Starts a capture receiver and resolves once it listens. */
export async function startOtlpCapture(options: OtlpCaptureOptions = {}): Promise<OtlpCapture> {
  const host = options.host ?? '127.0.0.1';
  const capture = new CaptureReceiver(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  const server = createServer((req, res) => {
    capture.handle(req, res).catch(() => {
      // The client went away mid-request, or the receiver is closing: nobody to answer.
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return capture.attach(`http://${urlHost}:${port}`, server);
}

class CaptureReceiver {
  private spanStore: CapturedSpan[] = [];
  private logStore: CapturedLog[] = [];
  private metricStore: CapturedMetric[] = [];
  private counts = { traces: 0, metrics: 0, logs: 0 };
  private mode: CaptureResponseMode = 'ok';

  constructor(private readonly maxBodyBytes: number) {}

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
      clear: () => {
        this.spanStore = [];
        this.logStore = [];
        this.metricStore = [];
        this.counts = { traces: 0, metrics: 0, logs: 0 };
      },
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
    try {
      await this.receive(req, res);
    } catch (error) {
      if (!(error instanceof ExportRefused)) throw error;
      replyRefusal(res, error, encodingOf(req.headers['content-type']));
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
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new ExportRefused(405, 'OTLP/HTTP exports are POSTs.');
    }
    this.counts[signal] += 1;

    const mode = this.mode;
    if (mode === 'hang') {
      // Take the body so the client finishes sending and waits for an answer that never comes.
      req.resume();
      return;
    }
    if (mode === 'unavailable') {
      await readBody(req, this.maxBodyBytes);
      throw new ExportRefused(
        503,
        'The capture is simulating an unavailable collector.',
        RPC_UNAVAILABLE,
      );
    }

    const encoding = encodingOf(req.headers['content-type']);
    if (!encoding) {
      throw new ExportRefused(
        415,
        'OTLP/HTTP bodies are application/x-protobuf or application/json.',
      );
    }
    const body = await this.readExportBody(req);
    try {
      const decoded = decodeRequest(signal, encoding, body);
      if (signal === 'traces') this.spanStore.push(...normaliseTraces(decoded, encoding));
      else if (signal === 'logs') this.logStore.push(...normaliseLogs(decoded, encoding));
      else this.metricStore.push(...normaliseMetrics(decoded, encoding));
    } catch (error) {
      throw new ExportRefused(
        400,
        `Undecodable ${signal} export: ${messageOf(error)}`,
        RPC_INVALID_ARGUMENT,
      );
    }
    // A response without partial_success means "all accepted"; as protobuf that is zero bytes.
    // https://opentelemetry.io/docs/specs/otlp/#full-success-1
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[encoding] });
    res.end(encoding === 'json' ? '{}' : undefined);
  }

  /** The body, un-gzipped, within the size limit both before and after decompression. */
  private async readExportBody(req: IncomingMessage): Promise<Buffer> {
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      throw new ExportRefused(
        415,
        `Content-Encoding "${contentEncoding}" is not supported; OTLP/HTTP uses gzip.`,
      );
    }
    const tooLarge = new ExportRefused(
      413,
      `Body exceeds ${this.maxBodyBytes} bytes.`,
      RPC_RESOURCE_EXHAUSTED,
    );
    const raw = await readBody(req, this.maxBodyBytes);
    if (raw === 'too-large') throw tooLarge;
    if (contentEncoding === 'identity') return raw;
    try {
      return await gunzipAsync(raw, { maxOutputLength: this.maxBodyBytes });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge;
      throw new ExportRefused(
        400,
        `Body is not valid gzip: ${messageOf(error)}`,
        RPC_INVALID_ARGUMENT,
      );
    }
  }

  async waitFor<T>(
    probe: () => T | undefined | null | false,
    { timeoutMs = 10_000, intervalMs = 25, what = 'the probe to pass' }: WaitForOptions = {},
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
      await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
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
    const namesByService = new Map<string, Map<string, number>>();
    for (const span of this.spanStore) {
      const service = span.serviceName ?? '(no service.name)';
      const names = namesByService.get(service) ?? new Map<string, number>();
      names.set(span.name, (names.get(span.name) ?? 0) + 1);
      namesByService.set(service, names);
    }
    if (namesByService.size > 0) lines.push('Spans by service:');
    for (const [service, names] of namesByService) {
      const listed = [...names].slice(0, 30).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
      const more = names.size > 30 ? `, … ${names.size - 30} more` : '';
      lines.push(`  ${service}: ${listed.join(', ')}${more}`);
    }
    const metricNames = [...new Set(this.metricStore.map((metric) => metric.name))];
    if (metricNames.length > 0) lines.push(`Metrics: ${metricNames.join(', ')}`);
    return lines.join('\n');
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === CONTENT_TYPES.protobuf) return 'protobuf';
  if (mediaType === CONTENT_TYPES.json) return 'json';
  return undefined;
}

/**
 * Reads the whole body, or reports 'too-large' once it passes the limit. The rest is still read
 * and thrown away: closing a socket that has unread data makes the client see a reset instead
 * of the 413.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? 'too-large' : Buffer.concat(chunks, size);
}

/** A request the receiver turns down, with the HTTP status it answers. */
class ExportRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** google.rpc.Code for a Status body; without one the answer is plain text. */
    readonly rpcCode?: number,
  ) {
    super(message);
  }
}

/**
 * Failures of an export carry a google.rpc.Status in the request's encoding
 * (https://opentelemetry.io/docs/specs/otlp/#failures-1); answers about the request itself
 * (wrong path, method or media type) are plain text, since there is no encoding to match.
 */
function replyRefusal(res: ServerResponse, refusal: ExportRefused, encoding: Encoding | undefined) {
  const { status, rpcCode, message } = refusal;
  if (rpcCode === undefined || !encoding) {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(message);
    return;
  }
  const body =
    encoding === 'json'
      ? JSON.stringify({ code: rpcCode, message })
      : rpcStatusType.encode(rpcStatusType.create({ code: rpcCode, message })).finish();
  res.writeHead(status, { 'Content-Type': CONTENT_TYPES[encoding] });
  res.end(body);
}

// ---------------------------------------------------------------------------------------------
// Decoding. Both encodings become the same lowerCamelCase object tree first; the normalisers
// below then read that tree defensively, because a JSON body can hold anything.

class OtlpDecodeError extends Error {}

type Fields = Record<string, unknown>;

function decodeRequest(signal: Signal, encoding: Encoding, body: Buffer): Fields {
  if (encoding === 'json') {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return message(parsed, 'request');
  }
  const type = exportRequestTypes[signal];
  // longs as decimal strings keep fixed64 nanosecond times exact; bytes as base64 match
  // OTLP/JSON's bytesValue, so only trace and span ids differ between the encodings.
  return type.toObject(type.decode(body), { longs: String, bytes: String, enums: Number });
}

/**
 * Trace and span ids: protobuf carries raw bytes (base64 after decoding above), OTLP/JSON
 * carries hex, not the base64 of the generic protobuf JSON mapping.
 * https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */
function readId(
  value: unknown,
  length: 8 | 16,
  encoding: Encoding,
  at: string,
): string | undefined {
  const raw = text(value, at);
  if (raw === '') return undefined;
  const hex = encoding === 'json' ? raw.toLowerCase() : Buffer.from(raw, 'base64').toString('hex');
  if (hex.length !== length * 2 || !/^[0-9a-f]+$/.test(hex)) {
    throw new OtlpDecodeError(`${at}: expected a ${length}-byte id, got "${raw}"`);
  }
  return hex;
}

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

function bool(value: unknown, at: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new OtlpDecodeError(`${at}: expected a boolean`);
  return value;
}

/** 64-bit integers: JSON may send them as numbers or decimal strings (protobuf JSON mapping). */
function int64(value: unknown, at: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new OtlpDecodeError(`${at}: expected an integer`);
}

/** Doubles: numbers, or strings such as "NaN" and "Infinity" that JSON numbers cannot spell. */
function double(value: unknown, at: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (!Number.isNaN(parsed) || value === 'NaN') return parsed;
  }
  throw new OtlpDecodeError(`${at}: expected a number`);
}

function enumValue(value: unknown, type: Enum, at: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && Object.hasOwn(type.values, value))
    return type.values[value] ?? 0;
  throw new OtlpDecodeError(`${at}: expected a ${type.name} value`);
}

function anyValue(value: unknown, at: string): CapturedValue {
  const v = message(value, at);
  if (has(v, 'stringValue')) return text(v.stringValue, `${at}.stringValue`);
  if (has(v, 'boolValue')) return bool(v.boolValue, `${at}.boolValue`);
  if (has(v, 'intValue')) return Number(int64(v.intValue, `${at}.intValue`));
  if (has(v, 'doubleValue')) return double(v.doubleValue, `${at}.doubleValue`);
  if (has(v, 'arrayValue')) {
    const values = list(
      message(v.arrayValue, `${at}.arrayValue`).values,
      `${at}.arrayValue.values`,
    );
    return values.map((item, i) => anyValue(item, `${at}.arrayValue.values[${i}]`));
  }
  if (has(v, 'kvlistValue')) {
    return attributes(
      message(v.kvlistValue, `${at}.kvlistValue`).values,
      `${at}.kvlistValue.values`,
    );
  }
  if (has(v, 'bytesValue')) {
    return new Uint8Array(Buffer.from(text(v.bytesValue, `${at}.bytesValue`), 'base64'));
  }
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

function scope(value: unknown, at: string): CapturedScope {
  const fields = message(value, at);
  const version = text(fields.version, `${at}.version`);
  return { name: text(fields.name, `${at}.name`), ...(version ? { version } : {}) };
}

/**
 * Walks resource → scope → item, the nesting all three export requests share, and yields each
 * item with the resource and scope it inherits and its path for error messages.
 */
function* walk(
  request: Fields,
  resourceKey: string,
  scopeKey: string,
  itemKey: string,
): Generator<[Fields, CapturedOrigin, string]> {
  const resources = list(request[resourceKey], resourceKey);
  for (const [r, rawResource] of resources.entries()) {
    const atResource = `${resourceKey}[${r}]`;
    const entry = message(rawResource, atResource);
    const resource = attributes(
      message(entry.resource, `${atResource}.resource`).attributes,
      `${atResource}.resource.attributes`,
    );
    const serviceName = resource['service.name'];
    for (const [s, rawScope] of list(entry[scopeKey], `${atResource}.${scopeKey}`).entries()) {
      const atScope = `${atResource}.${scopeKey}[${s}]`;
      const scopeEntry = message(rawScope, atScope);
      const origin: CapturedOrigin = {
        resource,
        serviceName: typeof serviceName === 'string' ? serviceName : undefined,
        scope: scope(scopeEntry.scope, `${atScope}.scope`),
      };
      for (const [i, item] of list(scopeEntry[itemKey], `${atScope}.${itemKey}`).entries()) {
        const at = `${atScope}.${itemKey}[${i}]`;
        yield [message(item, at), origin, at];
      }
    }
  }
}

const SPAN_KINDS: readonly CapturedSpanKind[] = [
  'UNSPECIFIED',
  'INTERNAL',
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
];
const STATUS_CODES: readonly CapturedStatusCode[] = ['UNSET', 'OK', 'ERROR'];
const TEMPORALITIES: readonly CapturedTemporality[] = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'];

function normaliseTraces(request: Fields, encoding: Encoding): CapturedSpan[] {
  const spans: CapturedSpan[] = [];
  for (const [span, origin, at] of walk(request, 'resourceSpans', 'scopeSpans', 'spans')) {
    const status = message(span.status, `${at}.status`);
    const statusMessage = text(status.message, `${at}.status.message`);
    const traceState = text(span.traceState, `${at}.traceState`);
    spans.push({
      traceId: readId(span.traceId, 16, encoding, `${at}.traceId`) ?? '',
      spanId: readId(span.spanId, 8, encoding, `${at}.spanId`) ?? '',
      parentSpanId: readId(span.parentSpanId, 8, encoding, `${at}.parentSpanId`),
      ...(traceState ? { traceState } : {}),
      name: text(span.name, `${at}.name`),
      kind: SPAN_KINDS[enumValue(span.kind, otlpEnums.spanKind, `${at}.kind`)] ?? 'UNSPECIFIED',
      startTimeUnixNano: int64(span.startTimeUnixNano, `${at}.startTimeUnixNano`),
      endTimeUnixNano: int64(span.endTimeUnixNano, `${at}.endTimeUnixNano`),
      attributes: attributes(span.attributes, `${at}.attributes`),
      status: {
        code:
          STATUS_CODES[enumValue(status.code, otlpEnums.statusCode, `${at}.status.code`)] ??
          'UNSET',
        ...(statusMessage ? { message: statusMessage } : {}),
      },
      events: list(span.events, `${at}.events`).map((raw, i) => {
        const event = message(raw, `${at}.events[${i}]`);
        return {
          name: text(event.name, `${at}.events[${i}].name`),
          timeUnixNano: int64(event.timeUnixNano, `${at}.events[${i}].timeUnixNano`),
          attributes: attributes(event.attributes, `${at}.events[${i}].attributes`),
        };
      }),
      links: list(span.links, `${at}.links`).map((raw, i) => {
        const link = message(raw, `${at}.links[${i}]`);
        const linkState = text(link.traceState, `${at}.links[${i}].traceState`);
        return {
          traceId: readId(link.traceId, 16, encoding, `${at}.links[${i}].traceId`) ?? '',
          spanId: readId(link.spanId, 8, encoding, `${at}.links[${i}].spanId`) ?? '',
          ...(linkState ? { traceState: linkState } : {}),
          attributes: attributes(link.attributes, `${at}.links[${i}].attributes`),
        };
      }),
      ...origin,
    });
  }
  return spans;
}

function normaliseLogs(request: Fields, encoding: Encoding): CapturedLog[] {
  const logs: CapturedLog[] = [];
  for (const [record, origin, at] of walk(request, 'resourceLogs', 'scopeLogs', 'logRecords')) {
    const eventName = text(record.eventName, `${at}.eventName`);
    logs.push({
      timeUnixNano: int64(record.timeUnixNano, `${at}.timeUnixNano`),
      observedTimeUnixNano: int64(record.observedTimeUnixNano, `${at}.observedTimeUnixNano`),
      severityNumber: enumValue(
        record.severityNumber,
        otlpEnums.severityNumber,
        `${at}.severityNumber`,
      ),
      severityText: text(record.severityText, `${at}.severityText`),
      body: has(record, 'body') ? anyValue(record.body, `${at}.body`) : undefined,
      attributes: attributes(record.attributes, `${at}.attributes`),
      ...(eventName ? { eventName } : {}),
      traceId: readId(record.traceId, 16, encoding, `${at}.traceId`),
      spanId: readId(record.spanId, 8, encoding, `${at}.spanId`),
      ...origin,
    });
  }
  return logs;
}

function normaliseMetrics(request: Fields, encoding: Encoding): CapturedMetric[] {
  const metrics: CapturedMetric[] = [];
  for (const [metric, origin, at] of walk(request, 'resourceMetrics', 'scopeMetrics', 'metrics')) {
    const data = metricData(metric, encoding, at);
    // A metric with no data is legal but says nothing; it is not recorded.
    if (!data) continue;
    metrics.push({
      name: text(metric.name, `${at}.name`),
      description: text(metric.description, `${at}.description`),
      unit: text(metric.unit, `${at}.unit`),
      ...origin,
      ...data,
    });
  }
  return metrics;
}

type PointReader<P> = (point: Fields, at: string, encoding: Encoding) => P;

function metricData(
  metric: Fields,
  encoding: Encoding,
  at: string,
): CapturedMetricData | undefined {
  const points = <P>(key: string, read: PointReader<P>): P[] => {
    const data = message(metric[key], `${at}.${key}`);
    return list(data.dataPoints, `${at}.${key}.dataPoints`).map((raw, i) => {
      const pointAt = `${at}.${key}.dataPoints[${i}]`;
      return read(message(raw, pointAt), pointAt, encoding);
    });
  };
  const temporality = (key: string): CapturedTemporality => {
    const data = message(metric[key], `${at}.${key}`);
    const value = enumValue(
      data.aggregationTemporality,
      otlpEnums.aggregationTemporality,
      `${at}.${key}.aggregationTemporality`,
    );
    return TEMPORALITIES[value] ?? 'UNSPECIFIED';
  };

  if (has(metric, 'gauge')) return { type: 'gauge', dataPoints: points('gauge', numberPoint) };
  if (has(metric, 'sum')) {
    return {
      type: 'sum',
      aggregationTemporality: temporality('sum'),
      isMonotonic: bool(message(metric.sum, `${at}.sum`).isMonotonic, `${at}.sum.isMonotonic`),
      dataPoints: points('sum', numberPoint),
    };
  }
  if (has(metric, 'histogram')) {
    return {
      type: 'histogram',
      aggregationTemporality: temporality('histogram'),
      dataPoints: points('histogram', histogramPoint),
    };
  }
  if (has(metric, 'exponentialHistogram')) {
    return {
      type: 'exponentialHistogram',
      aggregationTemporality: temporality('exponentialHistogram'),
      dataPoints: points('exponentialHistogram', exponentialHistogramPoint),
    };
  }
  if (has(metric, 'summary'))
    return { type: 'summary', dataPoints: points('summary', summaryPoint) };
  return undefined;
}

function pointBase(point: Fields, at: string): CapturedPoint {
  return {
    attributes: attributes(point.attributes, `${at}.attributes`),
    startTimeUnixNano: int64(point.startTimeUnixNano, `${at}.startTimeUnixNano`),
    timeUnixNano: int64(point.timeUnixNano, `${at}.timeUnixNano`),
  };
}

/** asInt or asDouble; the proto calls a point with neither invalid, so the export is rejected. */
function numberValue(point: Fields, at: string): number {
  if (has(point, 'asInt')) return Number(int64(point.asInt, `${at}.asInt`));
  if (has(point, 'asDouble')) return double(point.asDouble, `${at}.asDouble`);
  throw new OtlpDecodeError(`${at}: has neither asInt nor asDouble`);
}

function counts(value: unknown, at: string): number[] {
  return list(value, at).map((count, i) => Number(int64(count, `${at}[${i}]`)));
}

/** sum, min and max have presence in OTLP: absent is not 0. */
function statistics(point: Fields, at: string): { sum?: number; min?: number; max?: number } {
  const stats: { sum?: number; min?: number; max?: number } = {};
  for (const key of ['sum', 'min', 'max'] as const) {
    if (has(point, key)) stats[key] = double(point[key], `${at}.${key}`);
  }
  return stats;
}

function numberPoint(point: Fields, at: string, encoding: Encoding): CapturedNumberDataPoint {
  return {
    ...pointBase(point, at),
    value: numberValue(point, at),
    exemplars: exemplars(point.exemplars, encoding, `${at}.exemplars`),
  };
}

function histogramPoint(point: Fields, at: string, encoding: Encoding): CapturedHistogramDataPoint {
  return {
    ...pointBase(point, at),
    count: Number(int64(point.count, `${at}.count`)),
    ...statistics(point, at),
    bucketCounts: counts(point.bucketCounts, `${at}.bucketCounts`),
    explicitBounds: list(point.explicitBounds, `${at}.explicitBounds`).map((bound, i) =>
      double(bound, `${at}.explicitBounds[${i}]`),
    ),
    exemplars: exemplars(point.exemplars, encoding, `${at}.exemplars`),
  };
}

function exponentialHistogramPoint(
  point: Fields,
  at: string,
  encoding: Encoding,
): CapturedExponentialHistogramDataPoint {
  const buckets = (key: 'positive' | 'negative') => {
    const fields = message(point[key], `${at}.${key}`);
    return {
      offset: Number(int64(fields.offset, `${at}.${key}.offset`)),
      bucketCounts: counts(fields.bucketCounts, `${at}.${key}.bucketCounts`),
    };
  };
  return {
    ...pointBase(point, at),
    count: Number(int64(point.count, `${at}.count`)),
    ...statistics(point, at),
    scale: Number(int64(point.scale, `${at}.scale`)),
    zeroCount: Number(int64(point.zeroCount, `${at}.zeroCount`)),
    zeroThreshold: double(point.zeroThreshold, `${at}.zeroThreshold`),
    positive: buckets('positive'),
    negative: buckets('negative'),
    exemplars: exemplars(point.exemplars, encoding, `${at}.exemplars`),
  };
}

function summaryPoint(point: Fields, at: string): CapturedSummaryDataPoint {
  return {
    ...pointBase(point, at),
    count: Number(int64(point.count, `${at}.count`)),
    sum: double(point.sum, `${at}.sum`),
    quantileValues: list(point.quantileValues, `${at}.quantileValues`).map((raw, i) => {
      const quantileAt = `${at}.quantileValues[${i}]`;
      const fields = message(raw, quantileAt);
      return {
        quantile: double(fields.quantile, `${quantileAt}.quantile`),
        value: double(fields.value, `${quantileAt}.value`),
      };
    }),
  };
}

function exemplars(value: unknown, encoding: Encoding, at: string): CapturedExemplar[] {
  return list(value, at).map((raw, i) => {
    const exemplarAt = `${at}[${i}]`;
    const exemplar = message(raw, exemplarAt);
    const traceId = readId(exemplar.traceId, 16, encoding, `${exemplarAt}.traceId`);
    const spanId = readId(exemplar.spanId, 8, encoding, `${exemplarAt}.spanId`);
    return {
      attributes: attributes(exemplar.filteredAttributes, `${exemplarAt}.filteredAttributes`),
      timeUnixNano: int64(exemplar.timeUnixNano, `${exemplarAt}.timeUnixNano`),
      value: numberValue(exemplar, exemplarAt),
      ...(traceId ? { traceId } : {}),
      ...(spanId ? { spanId } : {}),
    };
  });
}
