import {
  AppError,
  type CallOptions,
  type RetryPolicy,
  retryPolicy,
  ServiceClient,
  type ServiceResponse,
} from '@mesh/service-kit';
import { trace } from '@opentelemetry/api';
import { TaskCancelledError, TimeoutStrategy, timeout } from 'cockatiel';
import type { GatewayMetrics } from '../metrics';

/** Failures worth another try: the call did not reach the service, or the service broke. */
const TRANSIENT_CODES = new Set(['dependency-unavailable', 'dependency-failed']);

/** Matches the time limit of each readiness check (checkReadiness). */
const HEALTH_TIMEOUT_MS = 1_000;

export interface UpstreamSettings {
  /** "order", "inventory": for error messages, metrics and span events. */
  name: string;
  baseUrl: string;
  /** Time limit of one request to this service, retries and back-off included. */
  timeoutMs: number;
  metrics: GatewayMetrics;
}

/**
 * A Mesh service the gateway calls. Every failure is an AppError (see ServiceClient): 4xx
 * problems keep their code and status, so the gateway relays them unchanged.
 */
export class Upstream {
  private readonly client: ServiceClient;
  private readonly retryTransient: RetryPolicy;

  constructor(private readonly settings: UpstreamSettings) {
    this.client = new ServiceClient(settings);
    this.retryTransient = retryPolicy({
      // At most 2 retries, after about 50-100 ms and 100-200 ms.
      maxAttempts: 3,
      initialDelayMs: 100,
      maxDelayMs: 200,
      retryIf: (error) => error instanceof AppError && TRANSIENT_CODES.has(error.code),
    });
    this.retryTransient.onRetry((event) => {
      const reason =
        'error' in event && event.error instanceof AppError ? event.error.code : 'unknown';
      settings.metrics.countUpstreamRetry(settings.name, reason);
      trace.getActiveSpan()?.addEvent('upstream retry', {
        'mesh.upstream': settings.name,
        'mesh.retry.attempt': event.attempt,
        'mesh.retry.delay_ms': event.delay,
        'error.type': reason,
      });
    });
  }

  /** Time limit of one request to this service. */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  /** One call, never retried: for requests that are not idempotent. */
  send<T>(method: string, path: string, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.client.call<T>(method, path, options);
  }

  /** For /readyz: the service answers its liveness probe. */
  async checkHealth(): Promise<void> {
    await this.client.call('GET', '/healthz', { timeoutMs: HEALTH_TIMEOUT_MS });
  }

  /**
   * A GET, retried on transient failures (never on a 4xx answer), all within the time limit:
   * each attempt gets only the time that is left, and the whole is cut off at the limit.
   */
  async get<T>(path: string): Promise<ServiceResponse<T>> {
    const { name, timeoutMs } = this.settings;
    const deadline = Date.now() + timeoutMs;
    const withinLimit = timeout(timeoutMs, TimeoutStrategy.Aggressive);
    try {
      return await withinLimit.execute(({ signal }) =>
        this.retryTransient.execute(() => {
          const left = deadline - Date.now();
          // A back-off that ran into the limit must not start another call.
          if (signal.aborted || left <= 0) throw timedOut(name, timeoutMs);
          return this.client.call<T>('GET', path, { timeoutMs: left });
        }, signal),
      );
    } catch (error) {
      // Not isTaskCancelledError(): in cockatiel 3.2.1 it tests for the bulkhead error instead.
      if (error instanceof TaskCancelledError) throw timedOut(name, timeoutMs, error);
      throw error;
    }
  }
}

function timedOut(name: string, timeoutMs: number, cause?: unknown): AppError {
  return new AppError('dependency-timeout', {
    detail: `${name} did not answer within ${timeoutMs} ms`,
    cause,
  });
}
