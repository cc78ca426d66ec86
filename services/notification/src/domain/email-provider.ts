import type { Faults } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { type Span, SpanKind, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@mesh/notification');

export interface Email {
  to: string;
  subject: string;
  body: string;
  /** The provider drops a second send with the same key, as real e-mail APIs do. */
  idempotencyKey: string;
}

/** Where e-mail goes. The simulated one stands in for an HTTP e-mail API. */
export interface EmailProvider {
  send(email: Email): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A call to the provider: a CLIENT span, as a call to a real e-mail API would make. */
function providerCall(email: Email, call: (span: Span) => Promise<void>): Promise<void> {
  return inSpan(
    tracer,
    'email-provider send',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'mesh.notification.channel': 'email',
        'mesh.notification.idempotency_key': email.idempotencyKey,
      },
    },
    call,
  );
}

/** A simulated e-mail API that takes `latencyMs` per send, any number of sends at once. */
export function simulatedEmailProvider(latencyMs: number): EmailProvider {
  return { send: (email) => providerCall(email, () => sleep(latencyMs)) };
}

/**
 * The simulated provider of a running service: as simulatedEmailProvider with `latencyMs`
 * (EMAIL_LATENCY_MS) while the workshop fault notification-email-latency-ms is off.
 *
 * While it is on, the provider is a slow one that also takes one request at a time, as a
 * provider throttling an account does: each send takes the flag's latency and waits for the
 * sends before it to end. The consumer handles many orders at once, so a slow provider alone
 * would hardly show; one that lets 2 sends a second through (500 ms) makes it fall behind the
 * orders. The wait is on the span (mesh.notification.provider_wait_ms).
 */
export function simulatedEmailProviderWithFaults(latencyMs: number, faults: Faults): EmailProvider {
  // The end of the last send that was let through while the fault was on.
  let providerFree: Promise<void> = Promise.resolve();
  return {
    send: (email) =>
      providerCall(email, async (span) => {
        // NaN stands for "off": any number the flag could hold is a latency.
        const faultMs = await faults.number('notification-email-latency-ms', Number.NaN);
        if (Number.isNaN(faultMs)) return sleep(latencyMs);
        const queued = Date.now();
        const turn = providerFree.then(async () => {
          span.setAttribute('mesh.notification.provider_wait_ms', Date.now() - queued);
          await sleep(faultMs);
        });
        providerFree = turn;
        await turn;
      }),
  };
}
