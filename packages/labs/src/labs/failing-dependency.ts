import type { CapturedSpan } from '@mesh/otlp-capture';
import type { Lab, LabRun } from '../lab';

const CHARGE_SPAN = 'payment-processor charge';
const ORDERS = 3;

/** Places a few orders and returns, per order, its status and its processor span. */
async function chargesOf(run: LabRun) {
  const charges: { status: string; charge: CapturedSpan }[] = [];
  for (let index = 0; index < ORDERS; index += 1) {
    const order = await run.placeOrder();
    const spans = await run.trace(order.traceId, (trace) =>
      trace.some((span) => span.name === CHARGE_SPAN),
    );
    charges.push({
      status: order.status,
      charge: spans.find((span) => span.name === CHARGE_SPAN) as CapturedSpan,
    });
  }
  return charges;
}

export const failingDependency: Lab = {
  name: 'failing-dependency',
  title: 'Find the failing dependency',
  fault: { flag: 'payment-decline-rate', variant: 'all' },
  readBy: ['payment'],
  env: { payment: { PAYMENT_DECLINE_RATE: '0' } },
  compose: {
    probe: { traceql: '{ status = error && resource.service.name = "payment" }' },
  },

  async baseline(run: LabRun) {
    const charges = await chargesOf(run);
    run.note('order statuses', charges.map((entry) => entry.status).join(', '));
    run.expect(
      charges.every(
        (entry) => entry.status === 'CONFIRMED' && entry.charge.status.code !== 'ERROR',
      ),
      'with the fault off every order should be CONFIRMED and no charge span in error',
    );
  },

  async symptom(run: LabRun) {
    const charges = await chargesOf(run);
    run.note('order statuses', charges.map((entry) => entry.status).join(', '));
    run.note(
      `${CHARGE_SPAN} spans`,
      charges
        .map(({ charge }) => `${charge.status.code} error.type=${charge.attributes['error.type']}`)
        .join('; '),
    );
    run.expect(
      charges.every((entry) => entry.status === 'PAYMENT_FAILED'),
      'every order should end PAYMENT_FAILED',
    );
    run.expect(
      charges.every(
        ({ charge }) =>
          charge.status.code === 'ERROR' && charge.attributes['error.type'] === 'payment-declined',
      ),
      'every charge span should be in error with error.type payment-declined',
    );
  },

  async recovery(run: LabRun) {
    const charges = await chargesOf(run);
    run.note('order statuses', charges.map((entry) => entry.status).join(', '));
    run.expect(
      charges.every((entry) => entry.status === 'CONFIRMED'),
      'with the fault off again every order should be CONFIRMED',
    );
  },
};
