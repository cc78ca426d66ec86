import { h, money, notice, showPage } from '../dom';
import type { Shop } from '../shop';

export async function showCatalogue(shop: Shop): Promise<void> {
  showPage('Catalogue', h('p', { role: 'status' }, 'Loading products…'));
  try {
    const { body } = await shop.api.listProducts();
    const list = h(
      'ul',
      { class: 'products', 'aria-label': 'Products' },
      ...body.items.map((product) =>
        h(
          'li',
          { class: 'product-card' },
          h('h2', {}, h('a', { href: `#/products/${product.sku}` }, product.name)),
          h('p', {}, product.description),
          h('p', { class: 'price' }, money(product.priceCents)),
          h(
            'p',
            { class: product.stock > 0 ? 'stock' : 'stock stock-out' },
            product.stock > 0 ? `${product.stock} in stock` : 'Out of stock',
          ),
        ),
      ),
    );
    showPage('Catalogue', body.items.length > 0 ? list : h('p', {}, 'The shop is empty.'));
  } catch (error) {
    showPage('Catalogue', notice('error', shop.messageOf(error)));
  }
}
