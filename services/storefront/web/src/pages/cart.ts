import { MAX_QUANTITY } from '../cart';
import { h, money, showPage } from '../dom';
import type { Shop } from '../shop';

export function showCart(shop: Shop): void {
  const lines = shop.cart.items();
  if (lines.length === 0) {
    showPage(
      'Your cart',
      h('p', {}, 'Your cart is empty. '),
      h('a', { href: '#/' }, 'Browse the catalogue'),
    );
    return;
  }
  const rows = lines.map((line) => {
    const id = `quantity-${line.sku}`;
    const input = h('input', {
      id,
      type: 'number',
      min: 0,
      max: MAX_QUANTITY,
      value: line.quantity,
      inputmode: 'numeric',
    });
    input.addEventListener('change', () => {
      const quantity = Number(input.value);
      if (Number.isInteger(quantity) && quantity >= 0) shop.cart.setQuantity(line.sku, quantity);
      showCart(shop);
    });
    const remove = h('button', { type: 'button', class: 'link-button' }, 'Remove');
    remove.setAttribute('aria-label', `Remove ${line.name}`);
    remove.addEventListener('click', () => {
      shop.cart.setQuantity(line.sku, 0);
      showCart(shop);
    });
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/products/${line.sku}` }, line.name)),
      h(
        'td',
        {},
        h('label', { for: id, class: 'visually-hidden' }, `Quantity of ${line.name}`),
        input,
      ),
      h('td', { class: 'number' }, money(line.priceCents * line.quantity)),
      h('td', {}, remove),
    );
  });
  showPage(
    'Your cart',
    h(
      'table',
      { class: 'cart' },
      h('caption', { class: 'visually-hidden' }, 'Products in your cart'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Product'),
          h('th', { scope: 'col' }, 'Quantity'),
          h('th', { scope: 'col' }, 'Price'),
          h('td', {}),
        ),
      ),
      h('tbody', {}, ...rows),
      h(
        'tfoot',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'row', colspan: 2 }, 'Total'),
          h('td', { class: 'number' }, money(shop.cart.totalCents())),
          h('td', {}),
        ),
      ),
    ),
    h('p', {}, h('a', { class: 'button', href: '#/checkout' }, 'Go to checkout')),
  );
}
