import type { CapturedSpan } from '@mesh/otlp-capture';
import { LabFailed, type LabRun, type PlacedOrder } from '../lab';

/** The first captured span `matches` finds, waited for; fails the lab when none arrives. */
export async function awaitSpan(
  run: LabRun,
  matches: (span: CapturedSpan) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<CapturedSpan> {
  try {
    return await run.env.capture.waitFor(() => run.env.capture.spans().find(matches), {
      what,
      timeoutMs,
    });
  } catch (error) {
    throw new LabFailed((error as Error).message);
  }
}

/** The root of a trace among `spans` (the span without a parent), if it arrived. */
export function rootOf(spans: readonly CapturedSpan[]): CapturedSpan | undefined {
  return spans.find((span) => span.parentSpanId === undefined);
}

/** The captured root span of every trace whose root arrived, by trace id. */
export function rootsByTrace(run: LabRun): Map<string, CapturedSpan> {
  return new Map(
    run.env.capture
      .spans()
      .filter((span) => span.parentSpanId === undefined)
      .map((span) => [span.traceId, span]),
  );
}

/** Places an order through the gateway and fails the lab unless it is CONFIRMED. */
export async function placeConfirmedOrder(run: LabRun): Promise<PlacedOrder> {
  const order = await run.placeOrder();
  run.expect(
    order.status === 'CONFIRMED' && order.traceId !== '',
    `the order should be CONFIRMED with an x-trace-id, was ${order.httpStatus} ${order.status} trace "${order.traceId}"`,
  );
  return order;
}

/** "gateway 3, order 12, ...": which services a set of spans comes from. */
export function spansPerService(spans: readonly CapturedSpan[]): string {
  const counts = new Map<string, number>();
  for (const span of spans) {
    const service = span.serviceName ?? '?';
    counts.set(service, (counts.get(service) ?? 0) + 1);
  }
  return [...counts].map(([service, count]) => `${service} ${count}`).join(', ');
}
