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

/**
 * A simulated e-mail API: a CLIENT span, as a call to a real provider would make, and a delay.
 */
export function simulatedEmailProvider(latencyMs: number): EmailProvider {
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
          await new Promise((resolve) => setTimeout(resolve, latencyMs));
        },
      ),
  };
}
