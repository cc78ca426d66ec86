import { readFileSync } from 'node:fs';
import { REPOSITORY_FLAGS_FILE } from '@mesh/testkit';
import type { Lab, OrderItem } from './lab';

/**
 * The compose half of `pnpm lab check`: against the stack `docker compose up` runs, with the
 * fault switched on by the learner in the repository's flag file (which compose mounts), it places
 * a few orders through the gateway and asks Tempo or Prometheus the question the guide asks.
 */
export type ComposeProbe =
  | {
      /** A TraceQL search; the symptom is visible when it finds at least one trace. */
      readonly traceql: string;
    }
  | {
      /** A PromQL instant query; the symptom is visible when its value passes `above`. */
      readonly promql: string;
      readonly above: number;
    };

export interface ComposeLab {
  readonly probe: ComposeProbe;
  /** The orders the check places (default: one item of the check's product). */
  readonly orderItems?: readonly OrderItem[];
  /** How many orders (default 3). */
  readonly orders?: number;
  /** How long to wait after the traffic before asking (default 20 s: tail sampling, metric flush, scrape). */
  readonly settleMs?: number;
}

export interface ComposeEndpoints {
  gateway: string;
  apiKey: string;
  tempo: string;
  prometheus: string;
  flagsFile: string;
}

/** Where compose publishes them, on 127.0.0.1. */
export const COMPOSE_ENDPOINTS: ComposeEndpoints = {
  gateway: 'http://127.0.0.1:8080',
  apiKey: 'mesh-demo-key',
  tempo: 'http://127.0.0.1:3200',
  prometheus: 'http://127.0.0.1:9090',
  flagsFile: REPOSITORY_FLAGS_FILE,
};

export interface ComposeCheckResult {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

/** A product every seeded catalogue has, with stock to spare. */
const DEFAULT_SKU = 'MUG-WHITE-350';

/** Which variant of `flag` the flag file has switched on, or undefined while it is off. */
export function switchedOn(flagsFile: string, flag: string): string | undefined {
  const document = JSON.parse(readFileSync(flagsFile, 'utf8'));
  const variant = document.flags?.[flag]?.defaultVariant;
  return variant === null || variant === undefined || variant === 'off' ? undefined : variant;
}

export async function checkInCompose(
  lab: Lab,
  endpoints: ComposeEndpoints = COMPOSE_ENDPOINTS,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ComposeCheckResult> {
  const compose = lab.compose;
  if (!compose) return { ok: false, lines: [`${lab.name} has no compose check`] };
  const variant = switchedOn(endpoints.flagsFile, lab.fault.flag);
  if (variant === undefined) {
    return {
      ok: false,
      lines: [
        `${lab.fault.flag} is off: switch it on with pnpm fault ${lab.fault.flag} ${lab.fault.variant}`,
      ],
    };
  }
  const lines = [`${lab.fault.flag} is on (${variant})`];
  const since = Math.floor(Date.now() / 1000) - 60;
  const statuses: number[] = [];
  for (let index = 0; index < (compose.orders ?? 3); index += 1) {
    statuses.push(
      await placeOrder(endpoints, compose.orderItems ?? [{ sku: DEFAULT_SKU, quantity: 1 }]),
    );
  }
  lines.push(`placed ${statuses.length} orders: HTTP ${statuses.join(', ')}`);
  await wait(compose.settleMs ?? 20_000);

  const probe = compose.probe;
  if ('traceql' in probe) {
    const found = await searchTempo(endpoints.tempo, probe.traceql, since);
    lines.push(
      `Tempo: ${probe.traceql} found ${found.length} trace(s)${found.length ? `, e.g. ${found[0]}` : ''}`,
    );
    return { ok: found.length > 0, lines };
  }
  const value = await queryPrometheus(endpoints.prometheus, probe.promql);
  lines.push(`Prometheus: ${probe.promql} = ${value ?? 'no data'} (visible above ${probe.above})`);
  return { ok: value !== undefined && value > probe.above, lines };
}

async function placeOrder(
  endpoints: ComposeEndpoints,
  items: readonly OrderItem[],
): Promise<number> {
  const response = await fetch(`${endpoints.gateway}/api/orders`, {
    method: 'POST',
    headers: { 'x-api-key': endpoints.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 'workshop-check', items }),
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Trace ids Tempo's search API finds for a TraceQL query since `sinceSeconds`. */
export async function searchTempo(
  tempo: string,
  traceql: string,
  sinceSeconds: number,
): Promise<string[]> {
  const url = new URL('/api/search', tempo);
  url.searchParams.set('q', traceql);
  url.searchParams.set('start', String(sinceSeconds));
  url.searchParams.set('end', String(Math.ceil(Date.now() / 1000)));
  url.searchParams.set('limit', '20');
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  if (!response.ok)
    throw new Error(`Tempo answered ${response.status} to ${traceql}: ${await response.text()}`);
  const body = (await response.json()) as { traces?: { traceID: string }[] };
  return (body.traces ?? []).map((trace) => trace.traceID);
}

/** The value of a PromQL instant query that yields one series (the first one if several). */
export async function queryPrometheus(
  prometheus: string,
  promql: string,
): Promise<number | undefined> {
  const url = new URL('/api/v1/query', prometheus);
  url.searchParams.set('query', promql);
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { result: { value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
  const sample = body.data?.result[0]?.value[1];
  return sample === undefined ? undefined : Number(sample);
}
