import './styles.css';
import { loadConfig } from './config';
import { h, notice, showPage } from './dom';
import { showCart } from './pages/cart';
import { showCatalogue } from './pages/catalogue';
import { showCheckout } from './pages/checkout';
import { showOrder } from './pages/order';
import { showProduct } from './pages/product';
import { Shop } from './shop';
import { startTelemetry } from './telemetry';

/** Hash routes: the static server serves one page, and every address still works on reload. */
function route(shop: Shop): void {
  const path = location.hash.replace(/^#/, '') || '/';
  const [, section, id] = path.split('/');
  if (section === 'products' && id) void showProduct(shop, decodeURIComponent(id));
  else if (section === 'cart') showCart(shop);
  else if (section === 'checkout') showCheckout(shop);
  else if (section === 'orders' && id) void showOrder(shop, decodeURIComponent(id));
  else if (path === '/') void showCatalogue(shop);
  else showPage('Page not found', h('p', {}, h('a', { href: '#/' }, 'Go to the catalogue')));
}

async function start(): Promise<void> {
  const config = await loadConfig();
  startTelemetry(config);
  const shop = new Shop(config);
  const count = document.getElementById('cart-count') as HTMLElement;
  const showCount = () => {
    count.textContent = String(shop.cart.count());
  };
  shop.cart.onChange(showCount);
  showCount();
  window.addEventListener('hashchange', () => route(shop));
  route(shop);
}

start().catch((error: unknown) => {
  showPage(
    'The shop did not start',
    notice('error', error instanceof Error ? error.message : String(error)),
  );
});
