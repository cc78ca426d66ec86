import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { percentile } from './stats';

const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The vegeta binary scripts/vegeta.sh built; throws naming the command when it is not built. */
export function vegetaPath(): string {
  try {
    return execFileSync(join(REPO_ROOT, 'scripts', 'vegeta.sh'), ['path'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    throw new Error('vegeta is not built: run scripts/vegeta.sh build');
  }
}

/**
 * The release scripts/vegeta.sh builds. `go install` leaves the binary's own version stamp empty
 * (release builds set it with -ldflags), so the pinned version is read from the script.
 */
export function vegetaVersion(): string {
  const script = readFileSync(join(REPO_ROOT, 'scripts', 'vegeta.sh'), 'utf8');
  return /^VEGETA_VERSION=(\S+)$/m.exec(script)?.[1] ?? 'unknown';
}

export interface OrderTargets {
  gatewayUrl: string;
  apiKey: string;
  skus: readonly string[];
  /** Names the customers of this batch, so two steps never send the same request. */
  prefix: string;
  count: number;
}

/**
 * vegeta's JSON target format, one POST /api/orders per line. The n-th target is always the
 * same order (customer `<prefix>-<n>`, SKUs in turn), so runs are repeatable.
 */
export function orderTargets(targets: OrderTargets): string {
  const lines: string[] = [];
  for (let n = 0; n < targets.count; n++) {
    const sku = targets.skus[n % targets.skus.length] as string;
    const body = JSON.stringify({
      customerId: `${targets.prefix}-${n}`,
      items: [{ sku, quantity: 1 }],
    });
    lines.push(
      JSON.stringify({
        method: 'POST',
        url: `${targets.gatewayUrl}/api/orders`,
        header: { 'content-type': ['application/json'], 'x-api-key': [targets.apiKey] },
        body: Buffer.from(body).toString('base64'),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What a step of load got back. */
export interface LoadSummary {
  rate: number;
  durationS: number;
  sent: number;
  /** 2xx answers (201 placed, 202 accepted, 422 rejected is not among them). */
  accepted: number;
  failedShare: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Status code → count (0: no answer). */
  codes: Record<string, number>;
}

/** Summarises `vegeta encode --to json` output: one JSON result per line, latency in ns. */
export function summariseResults(jsonLines: string, rate: number, durationS: number): LoadSummary {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let accepted = 0;
  for (const line of jsonLines.split('\n')) {
    if (!line.trim()) continue;
    const result = JSON.parse(line) as { code: number; latency: number };
    latencies.push(result.latency / 1e6);
    codes[String(result.code)] = (codes[String(result.code)] ?? 0) + 1;
    if (result.code >= 200 && result.code < 300) accepted += 1;
  }
  const sent = latencies.length;
  return {
    rate,
    durationS,
    sent,
    accepted,
    failedShare: sent === 0 ? 1 : (sent - accepted) / sent,
    p50Ms: percentile(latencies, 0.5),
    p90Ms: percentile(latencies, 0.9),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.length ? Math.max(...latencies) : Number.NaN,
    codes,
  };
}

export interface Attack extends Omit<OrderTargets, 'count'> {
  rate: number;
  durationS: number;
  /** Where the targets and results files go. */
  dir: string;
  timeoutS?: number;
}

/**
 * One constant-arrival-rate step: `vegeta attack` at `rate` per second for `durationS`, every
 * request a distinct order. Open model: arrivals do not wait for answers.
 */
export async function attack(options: Attack): Promise<LoadSummary> {
  const vegeta = vegetaPath();
  const targetsFile = join(options.dir, `${options.prefix}.targets.jsonl`);
  const resultsFile = join(options.dir, `${options.prefix}.bin`);
  await writeFile(
    targetsFile,
    orderTargets({ ...options, count: Math.ceil(options.rate * options.durationS) + 1 }),
  );
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      vegeta,
      [
        'attack',
        '-format=json',
        `-targets=${targetsFile}`,
        `-rate=${options.rate}/1s`,
        `-duration=${options.durationS}s`,
        `-timeout=${options.timeoutS ?? 10}s`,
        '-max-body=0',
        `-name=${options.prefix}`,
        `-output=${resultsFile}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vegeta attack exited ${code}: ${stderr}`)),
    );
  });
  const { stdout } = await promisify(execFile)(vegeta, ['encode', '--to', 'json', resultsFile], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  return summariseResults(stdout, options.rate, options.durationS);
}
