import { MAX_QUANTITY } from '../cart';
import { h, money, notice, showPage } from '../dom';
import type { Shop } from '../shop';

export async function showProduct(shop: Shop, sku: string): Promise<void> {
  showPage('Product', h('p', { role: 'status' }, 'Loading the product…'));
  let product: Awaited<ReturnType<Shop['api']['getProduct']>>['body'];
  try {
    product = (await shop.api.getProduct(sku)).body;
  } catch (error) {
    showPage(
      'Product',
      notice('error', shop.messageOf(error)),
      h('a', { href: '#/' }, 'Back to the catalogue'),
    );
    return;
  }
  const feedback = h('div', { 'aria-live': 'polite' });
  const quantity = h('input', {
    id: 'quantity',
    name: 'quantity',
    type: 'number',
    min: 1,
    max: Math.max(1, Math.min(MAX_QUANTITY, product.stock)),
    value: 1,
    required: true,
    inputmode: 'numeric',
  });
  const soldOut = product.stock === 0;
  const form = h(
    'form',
    { class: 'add-to-cart', 'aria-label': 'Add to cart' },
    h('label', { for: 'quantity' }, 'Quantity'),
    quantity,
    h('button', { type: 'submit', disabled: soldOut }, 'Add to cart'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = Number(quantity.value);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_QUANTITY) {
      feedback.replaceChildren(notice('error', `Choose a quantity between 1 and ${MAX_QUANTITY}.`));
      quantity.focus();
      return;
    }
    const added = shop.cart.add({
      sku: product.sku,
      name: product.name,
      priceCents: product.priceCents,
      quantity: wanted,
    });
    feedback.replaceChildren(
      added
        ? notice(
            'success',
            `Added ${wanted} × ${product.name} to your cart. `,
            h('a', { href: '#/cart' }, 'View cart'),
          )
        : notice('error', 'Your cart is full: an order has at most 20 lines.'),
    );
  });
  showPage(
    product.name,
    h('p', {}, product.description),
    h('p', { class: 'price' }, money(product.priceCents)),
    h(
      'p',
      { class: soldOut ? 'stock stock-out' : 'stock' },
      soldOut ? 'Out of stock' : `${product.stock} in stock`,
    ),
    h('p', { class: 'sku' }, `SKU ${product.sku}`),
    form,
    feedback,
    h('p', {}, h('a', { href: '#/' }, 'Back to the catalogue')),
  );
}
