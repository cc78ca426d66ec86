import type { Environment, ServiceName, StackOptions } from '@mesh/e2e';
import type { CapturedSpan } from '@mesh/otlp-capture';
import type { FaultFlag } from '@mesh/service-kit';
import type { ComposeLab } from './compose-check';

/**
 * One lab of docs/workshop.md, as something that can be run: the fault it switches on, and how a
 * learner sees the symptom in the telemetry and sees it go once the fault is off. Each step
 * checks with `run.expect` what the guide promises and notes what it saw, so a lab fails loudly
 * when its fault stops being visible.
 */
export interface Lab {
  /** The command line's name for it, e.g. `slow-hop`. */
  readonly name: string;
  /** The guide's heading. */
  readonly title: string;
  /** The flag and the variant the lab switches on (`pnpm fault <flag> <variant>`). */
  readonly fault: { readonly flag: FaultFlag; readonly variant: string };
  /** The services that read the flag; the lab waits until each has logged the change. */
  readonly readBy: readonly ServiceName[];
  /** Settings the services run with in this lab (e.g. a short payment latency to compare to). */
  readonly env?: StackOptions['env'];
  /** The question `pnpm lab check --compose` asks the compose stack's Tempo or Prometheus. */
  readonly compose?: ComposeLab;
  /** With the fault off: what normal looks like. */
  baseline(run: LabRun): Promise<void>;
  /** With the fault on: traffic, and the symptom found where the guide says to look. */
  symptom(run: LabRun): Promise<void>;
  /** With the fault off again: the symptom is gone. */
  recovery(run: LabRun): Promise<void>;
}

export interface PlacedOrder {
  /** The gateway's HTTP status. */
  readonly httpStatus: number;
  readonly orderId: string;
  /** The order's status in the answer, e.g. CONFIRMED or PAYMENT_FAILED. */
  readonly status: string;
  /** From the `x-trace-id` header: the id a learner pastes into Tempo. */
  readonly traceId: string;
}

export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
}

/** What a lab's steps are given. */
export interface LabRun {
  readonly env: Environment;
  /** A product with stock enough for every order the lab places. */
  readonly sku: string;
  /** Places an order through the gateway, as the guide's curl does. */
  placeOrder(options?: { items?: OrderItem[]; customerId?: string }): Promise<PlacedOrder>;
  /**
   * The spans of one trace, once `complete` holds for them (default: some span arrived), then a
   * moment more for stragglers. Fails the lab when `complete` never holds.
   */
  trace(
    traceId: string,
    complete?: (spans: CapturedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<CapturedSpan[]>;
  /** Records what the step saw; the command prints it. */
  note(what: string, seen: string | number): void;
  /** Fails the lab with `message` unless `condition` holds. */
  expect(condition: boolean, message: string): asserts condition;
}

/** A lab's symptom was not what the guide says. */
export class LabFailed extends Error {
  override readonly name = 'LabFailed';
}

/** Milliseconds between a span's start and end. */
export function durationMs(span: CapturedSpan): number {
  return Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
}
