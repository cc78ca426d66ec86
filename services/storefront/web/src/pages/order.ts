import type { Notification, Order } from '@mesh/contracts';
import { h, money, notice, showPage, updatePage } from '../dom';
import type { Shop } from '../shop';

const TERMINAL = ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED'];
const POLL_INTERVAL_MS = 500;
/** An order ends within seconds; the e-mail follows through Kafka. Past this, say so and stop. */
const FOLLOW_FOR_MS = 30_000;

const OUTCOMES: Record<
  string,
  { kind: 'success' | 'error' | 'info'; text: (order: Order) => string }
> = {
  CONFIRMED: { kind: 'success', text: () => 'Thank you! Your order is confirmed.' },
  REJECTED: {
    kind: 'error',
    text: (order) =>
      `Sorry, we could not take your order: ${order.statusReason ?? 'an item is out of stock'}. You have not been charged.`,
  },
  PAYMENT_FAILED: {
    kind: 'error',
    text: (order) =>
      `Your payment was declined${order.statusReason ? ` (${order.statusReason})` : ''}. You have not been charged and the items are back in stock.`,
  },
};

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Grafana's Explore with the trace open in Tempo. */
export function traceLink(grafanaUrl: string, datasourceUid: string, traceId: string): string {
  const panes = {
    trace: {
      datasource: datasourceUid,
      queries: [
        {
          refId: 'A',
          datasource: { type: 'tempo', uid: datasourceUid },
          queryType: 'traceql',
          query: traceId,
        },
      ],
      range: { from: 'now-1h', to: 'now' },
    },
  };
  return `${grafanaUrl}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}

/**
 * What the order went through, in the order it happened, from what the API tells: the order's
 * history, its outcome and the notification. Each line names the service that did it.
 */
function whatHappened(order: Order, notification: Notification | undefined): [string, string][] {
  const statuses = order.history.map((entry) => entry.status);
  const steps: [string, string][] = [
    ['storefront', 'Your click sent the order, with its trace context, to the gateway.'],
    ['gateway', 'Checked the API key and the order, and passed it to the order service.'],
    ['order', 'Placed the order and asked inventory to reserve the stock.'],
  ];
  if (statuses.includes('STOCK_RESERVED')) {
    steps.push(
      ['inventory', 'Reserved the stock.'],
      [
        'payment',
        order.status === 'PAYMENT_FAILED' ? 'Tried the charge: declined.' : 'Charged the payment.',
      ],
    );
  } else {
    steps.push(['inventory', 'Could not reserve the stock: nothing was charged.']);
  }
  steps.push([
    'order',
    `Stored the order as ${order.status} and its event in the outbox; the relay published it to Kafka (order-events).`,
  ]);
  if (order.status === 'CONFIRMED')
    steps.push(['inventory', 'Read the event from Kafka and committed the reservation.']);
  if (order.status === 'PAYMENT_FAILED')
    steps.push(['inventory', 'Read the event from Kafka and released the reservation.']);
  steps.push([
    'notification',
    notification
      ? `Read the event from Kafka and sent the e-mail "${notification.subject}".`
      : 'Reads the event from Kafka and sends the e-mail…',
  ]);
  return steps;
}

export async function showOrder(shop: Shop, orderId: string): Promise<void> {
  const page = `#/orders/${orderId}`;
  const stillHere = () => location.hash === page;
  showPage('Your order', h('p', { role: 'status' }, 'Loading your order…'));
  const traceId = shop.traceOf(orderId);
  const deadline = Date.now() + FOLLOW_FOR_MS;
  let order: Order | undefined;
  let notification: Notification | undefined;
  const status = h('p', { role: 'status', class: 'following' });

  let shown = false;
  const render = () => {
    if (!order || !stillHere()) return;
    const outcome = OUTCOMES[order.status];
    const terminal = TERMINAL.includes(order.status);
    const timedOut = Date.now() > deadline;
    status.textContent = terminal
      ? ''
      : timedOut
        ? `Still ${order.status} after ${FOLLOW_FOR_MS / 1000} s: reload this page later to see the outcome.`
        : `Your order is ${order.status}. Following it…`;
    // The first answer is a new page (focus on its heading); later ones update it in place, so
    // a keyboard or screen reader user is not thrown back to the top every half second.
    const show = shown ? updatePage : (...content: Node[]) => showPage('Your order', ...content);
    shown = true;
    show(
      h(
        'p',
        { class: 'order-status' },
        'Status: ',
        h('strong', { 'data-status': order.status }, order.status),
      ),
      outcome && terminal ? notice(outcome.kind, outcome.text(order)) : status,
      h(
        'ul',
        { class: 'summary', 'aria-label': 'Items' },
        ...order.items.map((item) =>
          h(
            'li',
            {},
            `${item.quantity} × ${item.sku}: ${money(item.quantity * item.unitPriceCents)}`,
          ),
        ),
      ),
      h('p', { class: 'total' }, `Total: ${money(order.totalCents)}`),
      h(
        'section',
        { 'aria-labelledby': 'email-heading', class: 'email' },
        h('h2', { id: 'email-heading' }, 'E-mail'),
        notification
          ? h(
              'p',
              { class: 'notification' },
              `Sent to ${notification.recipient}: "${notification.subject}"`,
            )
          : h('p', {}, terminal && timedOut ? 'No e-mail yet.' : 'Waiting for the e-mail…'),
      ),
      h(
        'section',
        { 'aria-labelledby': 'trace-heading', class: 'trace' },
        h('h2', { id: 'trace-heading' }, 'What just happened'),
        traceId
          ? h(
              'p',
              {},
              'Trace id ',
              h('code', { class: 'trace-id' }, traceId),
              shop.config.grafanaUrl ? ' · ' : null,
              shop.config.grafanaUrl
                ? h(
                    'a',
                    {
                      href: traceLink(
                        shop.config.grafanaUrl,
                        shop.config.tempoDatasourceUid,
                        traceId,
                      ),
                      target: '_blank',
                      rel: 'noopener',
                    },
                    'Open this trace in Grafana (new tab)',
                  )
                : null,
            )
          : h(
              'p',
              {},
              'This order was placed elsewhere: its trace id is in the x-trace-id header of the answer that placed it.',
            ),
        h(
          'ol',
          { class: 'steps' },
          ...whatHappened(order, notification).map(([service, text]) =>
            h('li', {}, h('span', { class: 'service' }, service), ' ', text),
          ),
        ),
      ),
      h('p', {}, h('a', { href: '#/' }, 'Continue shopping')),
    );
  };

  try {
    while (stillHere()) {
      order = (await shop.api.getOrder(orderId)).body;
      const terminal = TERMINAL.includes(order.status);
      if (terminal && !notification) {
        notification = (await shop.api.listNotifications(orderId)).body.items[0];
      }
      render();
      if ((terminal && notification) || Date.now() > deadline) return;
      await wait(POLL_INTERVAL_MS);
    }
  } catch (error) {
    if (stillHere())
      showPage(
        'Your order',
        notice('error', shop.messageOf(error)),
        h('a', { href: '#/' }, 'Back to the catalogue'),
      );
  }
}
