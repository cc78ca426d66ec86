import { h, money, notice, showPage } from '../dom';
import type { Shop } from '../shop';

export async function showCatalogue(shop: Shop): Promise<void> {
  const page = location.hash;
  // The person went elsewhere while it loaded: that page is showing now.
  const stillHere = () => location.hash === page;
  showPage('Catalogue', h('p', { role: 'status' }, 'Loading products…'));
  try {
    const { body } = await shop.api.listProducts();
    if (!stillHere()) return;
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
    if (stillHere()) showPage('Catalogue', notice('error', shop.messageOf(error)));
  }
}
