import { api, type Environment, productWithStock, startEnvironment } from '@mesh/e2e';
import { flagFileCopy } from '@mesh/testkit';
import { type Lab, LabFailed, type LabRun, type PlacedOrder } from './lab';

export type LabPhase = 'baseline' | 'symptom' | 'recovery';

export interface LabObservation {
  readonly phase: LabPhase;
  readonly what: string;
  readonly seen: string;
}

export interface LabReport {
  readonly lab: string;
  readonly observations: readonly LabObservation[];
}

export interface RunLabOptions {
  /** Told each observation as it is made (the command prints them). */
  onObservation?: (observation: LabObservation) => void;
  /** Told each phase as it starts. */
  onPhase?: (phase: LabPhase, description: string) => void;
}

/** A service logs this when it has read a changed flag file (see startFaults). */
const FLAGS_CHANGED = 'fault flags changed';
/** flagd's in-process provider polls the file about every 5 s. */
const FLAG_READ_TIMEOUT_MS = 30_000;
/** Stock for the lab's product: more than any lab orders. */
const LAB_STOCK = 100_000;

/**
 * Runs a lab as a learner would meet it, on this machine: the five services as processes against
 * the native PostgreSQL, Redis and Kafka, exporting to an OTLP capture, reading a flag file of the
 * lab's own. Baseline with the fault off, the symptom with it on, the recovery once it is off
 * again. Rejects with LabFailed (and what was seen so far) when a step does not see what the
 * guide promises.
 */
export async function runLab(lab: Lab, options: RunLabOptions = {}): Promise<LabReport> {
  const flags = flagFileCopy();
  const env = await startEnvironment({ flagsFile: flags.file, env: lab.env });
  const observations: LabObservation[] = [];
  try {
    const sku = await productWithStock(env.db, LAB_STOCK);
    let phase: LabPhase = 'baseline';
    const run = labRun(env, sku, (what, seen) => {
      const observation = { phase, what, seen: String(seen) };
      observations.push(observation);
      options.onObservation?.(observation);
    });
    const step = async (next: LabPhase, description: string, work: () => Promise<void>) => {
      phase = next;
      options.onPhase?.(next, description);
      await work();
    };

    await step('baseline', 'every fault off', () => lab.baseline(run));
    await step('symptom', `pnpm fault ${lab.fault.flag} ${lab.fault.variant}`, async () => {
      await switchFault(env, lab, () => flags.switchTo(lab.fault.flag, lab.fault.variant));
      await lab.symptom(run);
    });
    await step('recovery', `pnpm fault ${lab.fault.flag} off`, async () => {
      // As `pnpm fault <flag> off` does: the "off" variant where there is one, else the default.
      await switchFault(env, lab, () =>
        flags.switchTo(lab.fault.flag, flags.offVariant(lab.fault.flag)),
      );
      await lab.recovery(run);
    });
    return { lab: lab.name, observations };
  } catch (error) {
    if (error instanceof LabFailed) {
      error.message += `\nseen so far:\n${observations.map(format).join('\n')}`;
    }
    throw error;
  } finally {
    await env.stop();
  }
}

/** One observation as a line: `symptom   payment charge span: 803 ms`. */
export function format(observation: LabObservation): string {
  return `  ${observation.phase.padEnd(9)} ${observation.what}: ${observation.seen}`;
}

/** Switches the flag and waits until every service that reads it has logged the change. */
async function switchFault(env: Environment, lab: Lab, change: () => void): Promise<void> {
  const changesBefore = lab.readBy.map((name) => countChanges(env, name));
  change();
  const deadline = Date.now() + FLAG_READ_TIMEOUT_MS;
  while (lab.readBy.some((name, index) => countChanges(env, name) <= (changesBefore[index] ?? 0))) {
    if (Date.now() > deadline) {
      throw new LabFailed(
        `${lab.fault.flag}: ${lab.readBy.join(', ')} did not log "${FLAGS_CHANGED}" within ${FLAG_READ_TIMEOUT_MS / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function countChanges(env: Environment, service: Lab['readBy'][number]): number {
  return env.stack.services[service].output().split(FLAGS_CHANGED).length - 1;
}

function labRun(env: Environment, sku: string, note: LabRun['note']): LabRun {
  return {
    env,
    sku,
    note,
    expect(condition, message): asserts condition {
      if (!condition) throw new LabFailed(message);
    },
    async placeOrder(options = {}): Promise<PlacedOrder> {
      const response = await api(env.stack, 'POST', '/api/orders', {
        body: {
          customerId: options.customerId ?? 'workshop-learner',
          items: options.items ?? [{ sku, quantity: 1 }],
        },
      });
      const body = (response.body ?? {}) as Record<string, unknown>;
      return {
        httpStatus: response.status,
        orderId: String(body.id ?? body.orderId ?? ''),
        status: String(body.status ?? ''),
        traceId: response.headers.get('x-trace-id') ?? '',
      };
    },
    async trace(traceId, complete = (spans) => spans.length > 0, timeoutMs = 20_000) {
      const spansOf = () => env.capture.spans().filter((span) => span.traceId === traceId);
      try {
        await env.capture.waitFor(() => complete(spansOf()), {
          what: `the spans of trace ${traceId}`,
          timeoutMs,
        });
      } catch (error) {
        throw new LabFailed((error as Error).message);
      }
      // Spans that end just after the awaited ones (a consumer's last query) get a moment.
      await new Promise((resolve) => setTimeout(resolve, 500));
      return spansOf();
    },
  };
}
