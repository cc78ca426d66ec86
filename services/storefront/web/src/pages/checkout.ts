import { ApiError } from '../api';
import { h, money, notice, showPage } from '../dom';
import type { Shop } from '../shop';

/** The API's CustomerId (@mesh/contracts), so a bad name is caught before the request. */
const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A fresh Idempotency-Key per checkout visit: a resubmission of the same form (a double click,
 * a retry after a network error) replays the first order instead of charging twice.
 * getRandomValues, not randomUUID: the latter needs a secure context, and a workshop laptop may
 * open the shop by its LAN address.
 */
function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `storefront-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

export function showCheckout(shop: Shop): void {
  const lines = shop.cart.items();
  if (lines.length === 0) {
    showPage(
      'Checkout',
      h('p', {}, 'Your cart is empty. '),
      h('a', { href: '#/' }, 'Browse the catalogue'),
    );
    return;
  }
  const idempotencyKey = newIdempotencyKey();
  const feedback = h('div', { 'aria-live': 'assertive' });
  const customer = h('input', {
    id: 'customer',
    name: 'customer',
    autocomplete: 'username',
    required: true,
    pattern: '[A-Za-z0-9_\\-]{1,64}',
    'aria-describedby': 'customer-help',
    value: localStorage.getItem('mesh-customer') ?? '',
  });
  const submit = h('button', { type: 'submit' }, 'Place order');
  const form = h(
    'form',
    { class: 'checkout', 'aria-label': 'Checkout', novalidate: true },
    h('label', { for: 'customer' }, 'Your customer name'),
    customer,
    h(
      'p',
      { id: 'customer-help', class: 'help' },
      'Letters, digits, "-" or "_"; up to 64. The confirmation e-mail goes to this customer.',
    ),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const customerId = customer.value.trim();
    if (!CUSTOMER_ID.test(customerId)) {
      customer.setAttribute('aria-invalid', 'true');
      feedback.replaceChildren(
        notice('error', 'Enter a customer name of 1-64 letters, digits, "-" or "_".'),
      );
      customer.focus();
      return;
    }
    customer.removeAttribute('aria-invalid');
    localStorage.setItem('mesh-customer', customerId);
    submit.disabled = true;
    submit.textContent = 'Placing your order…';
    feedback.replaceChildren(h('p', { role: 'status' }, 'Placing your order…'));
    // Called synchronously in the submit handler: the fetch span is a child of the submit span,
    // so this click is the root of the order's trace.
    const placed = shop.api.placeOrder(
      customerId,
      lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      idempotencyKey,
    );
    placed.then(
      ({ body: order, traceId }) => {
        shop.rememberTrace(order.id, traceId);
        shop.cart.clear();
        location.hash = `#/orders/${order.id}`;
      },
      (error: unknown) => {
        submit.disabled = false;
        submit.textContent = 'Place order';
        const orderId = error instanceof ApiError ? error.orderId : undefined;
        feedback.replaceChildren(
          notice(
            'error',
            shop.messageOf(error),
            orderId ? ' ' : null,
            orderId
              ? h('a', { href: `#/orders/${orderId}` }, 'See whether the order went through')
              : null,
          ),
        );
        submit.focus();
      },
    );
  });
  showPage(
    'Checkout',
    h(
      'ul',
      { class: 'summary', 'aria-label': 'Your order' },
      ...lines.map((line) =>
        h('li', {}, `${line.quantity} × ${line.name}: ${money(line.quantity * line.priceCents)}`),
      ),
    ),
    h('p', { class: 'total' }, `Total: ${money(shop.cart.totalCents())}`),
    form,
    feedback,
  );
}
