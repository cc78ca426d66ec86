import { randomUUID } from 'node:crypto';
import { SERVICES } from '@mesh/e2e';
import type { ChaosEnvironment } from './environment';
import {
  evaluateInvariants,
  INVARIANTS,
  looksSettled,
  type MeshState,
  orphanReservations,
  readMeshState,
  type Violation,
} from './invariants';
import { placeOrders, type SentOrder, sendOrder } from './load';
import type { Scenario } from './scenarios';

/** How hard and how long: `short` for every CI run, `long` on demand. */
export interface Profile {
  name: string;
  ratePerSecond: number;
  /** Load per scenario; the fault starts `faultAfterMs` into it. */
  loadMs: number;
  faultAfterMs: number;
}

export const PROFILES: Record<'short' | 'long', Profile> = {
  short: { name: 'short', ratePerSecond: 8, loadMs: 20_000, faultAfterMs: 3_000 },
  // Longer, not faster: at about 20 orders/s the notification consumer (one message at a time
  // per partition) falls behind and the 90 s of invariant 1 and 2 run out; that throughput is
  // the performance work's, not a fault's.
  long: { name: 'long', ratePerSecond: 12, loadMs: 60_000, faultAfterMs: 15_000 },
};

/** Accepted work must be finished this soon after the load stopped (invariant 1). */
export const SETTLE_LIMIT_MS = 90_000;

export interface ScenarioResult {
  scenario: string;
  sent: number;
  accepted: number;
  /** How many answers of each status (0: no answer), e.g. "201×150 503×10". */
  answers: string;
  checked: number;
  violations: Violation[];
  seconds: number;
}

export async function runScenario(
  env: ChaosEnvironment,
  scenario: Scenario,
  profile: Profile,
): Promise<ScenarioResult> {
  const started = Date.now();
  // An orphan an earlier scenario left (and reported) is not this scenario's finding.
  const knownOrphans = new Set(orphanReservations(await readMeshState(env.db, scenario.name)));
  const exitsBefore = new Map(
    SERVICES.map((name) => [name, env.stack.services[name].unexpectedExits().length]),
  );
  const [sent, fault] = await Promise.all([
    placeOrders({
      gatewayUrl: env.stack.gatewayUrl,
      scenario: scenario.name,
      ratePerSecond: profile.ratePerSecond,
      durationMs: profile.loadMs,
    }),
    scenario.inject(env, { startAfterMs: profile.faultAfterMs, scale: 1 }),
  ]);

  const state = await settle(env, scenario.name, knownOrphans);
  const replays = await replayFailedKeyedOrders(env, sent, state);
  const notReady: string[] = [];
  for (const name of SERVICES) {
    const ready = await fetch(`${env.stack.services[name].url}/readyz`, {
      signal: AbortSignal.timeout(2_000),
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (!ready) notReady.push(name);
  }
  const violations = evaluateInvariants(state, {
    sent,
    initialStock: env.initialStock,
    unexpectedExits: new Map(
      SERVICES.map((name) => [
        name,
        env.stack.services[name].unexpectedExits().length - (exitsBefore.get(name) ?? 0),
      ]),
    ),
    notReady,
    outages: fault.outages,
    readyAfterHealMs: fault.readyAfterHealMs,
    replays,
    knownOrphans,
  });
  return {
    scenario: scenario.name,
    sent: sent.length,
    accepted: sent.filter((s) => s.status >= 200 && s.status < 300).length,
    answers: countStatuses(sent),
    checked: Object.keys(INVARIANTS).length,
    violations,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Waits (bounded) until the scenario's orders look finished, and returns the state then. */
async function settle(
  env: ChaosEnvironment,
  scenario: string,
  knownOrphans: ReadonlySet<string>,
): Promise<MeshState> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  for (;;) {
    const state = await readMeshState(env.db, scenario);
    if (looksSettled(state, knownOrphans) || Date.now() > deadline) {
      // Late duplicates would show up just after the last expected row; give them a moment.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return readMeshState(env.db, scenario);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** A client that got no success but sent a key asks again with it, as the API tells it to. */
async function replayFailedKeyedOrders(
  env: ChaosEnvironment,
  sent: SentOrder[],
  state: MeshState,
): Promise<Map<string, { status: number; orderId: string | undefined }>> {
  const customersWithOrders = new Set([...state.orders.values()].map((o) => o.customerId));
  const replays = new Map<string, { status: number; orderId: string | undefined }>();
  for (const request of sent) {
    const failed = request.status < 200 || request.status >= 300;
    if (!failed || !request.idempotencyKey || !customersWithOrders.has(request.customerId))
      continue;
    const again = await sendOrder({ gatewayUrl: env.stack.gatewayUrl }, request);
    replays.set(request.customerId, { status: again.status, orderId: again.orderId });
  }
  return replays;
}

function countStatuses(sent: SentOrder[]): string {
  const counts = new Map<number, number>();
  for (const { status } of sent) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

/** Distinct invariants a scenario broke (several broken orders count once per invariant). */
export function violatedInvariants(result: ScenarioResult): number {
  return new Set(result.violations.map((v) => v.invariant)).size;
}

/** The scenario's line, and a few examples of each broken invariant. */
export function describeResult(result: ScenarioResult, examples = 5): string[] {
  const lines = [
    `fault suite: ${result.scenario}: ${result.sent} orders sent, ${result.accepted} accepted, ` +
      `${result.checked} invariants checked, ${violatedInvariants(result)} violated (${result.seconds} s)`,
    `  answers: ${result.answers}`,
  ];
  const byInvariant = Map.groupBy(result.violations, (v) => v.invariant);
  for (const [invariant, found] of byInvariant) {
    lines.push(`  invariant ${invariant} (${INVARIANTS[invariant]}): ${found.length} finding(s)`);
    for (const v of found.slice(0, examples)) lines.push(`    ${v.detail}`);
  }
  return lines;
}

/**
 * Proves the checker can fail against the real database: plants a second notification for one
 * confirmed order of `scenario`, expects invariant 2 to be reported, and removes the plant.
 */
export async function checkerCatchesPlantedViolation(
  env: ChaosEnvironment,
  scenario: string,
): Promise<boolean> {
  const before = await readMeshState(env.db, scenario);
  const confirmed = [...before.orders].find(([, order]) => order.status === 'CONFIRMED')?.[0];
  if (!confirmed) throw new Error(`no confirmed order in ${scenario} to plant a violation on`);
  const planted = randomUUID();
  await env.db.query(
    `INSERT INTO notifications.notifications
       (id, order_id, event_id, event_type, channel, recipient, subject, body)
     VALUES ($1, $2, $1, 'order.confirmed', 'email', 'planted@example.test', 'planted', 'planted')`,
    [planted, confirmed],
  );
  try {
    const state = await readMeshState(env.db, scenario);
    const violations = evaluateInvariants(state, {
      sent: [],
      initialStock: new Map(),
      unexpectedExits: new Map(),
      notReady: [],
      outages: [],
      readyAfterHealMs: undefined,
      replays: new Map(),
      knownOrphans: new Set(),
    });
    return violations.some((v) => v.invariant === 2 && v.detail.includes(confirmed));
  } finally {
    await env.db.query('DELETE FROM notifications.notifications WHERE id = $1', [planted]);
  }
}
