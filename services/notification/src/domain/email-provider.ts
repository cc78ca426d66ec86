import type { Faults } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { SpanKind, trace } from '@opentelemetry/api';

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

/** A latency fixed at start, or read at each send (a workshop fault flag can change it). */
export type Latency = number | (() => Promise<number>);

/**
 * A simulated e-mail API: a CLIENT span, as a call to a real provider would make, and a delay.
 */
export function simulatedEmailProvider(latency: Latency): EmailProvider {
  return {
    send: (email) =>
      inSpan(
        tracer,
        'email-provider send',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'mesh.notification.channel': 'email',
            'mesh.notification.idempotency_key': email.idempotencyKey,
          },
        },
        async () => {
          const latencyMs = typeof latency === 'number' ? latency : await latency();
          await new Promise((resolve) => setTimeout(resolve, latencyMs));
        },
      ),
  };
}

/**
 * The simulated provider of a running service. Workshop fault notification-email-latency-ms:
 * while on, each send takes the flag's latency instead of `latencyMs` (EMAIL_LATENCY_MS). The
 * consumer handles one message at a time, so a slow provider makes it fall behind the orders.
 */
export function simulatedEmailProviderWithFaults(latencyMs: number, faults: Faults): EmailProvider {
  return simulatedEmailProvider(() => faults.number('notification-email-latency-ms', latencyMs));
}
