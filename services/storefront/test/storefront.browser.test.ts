import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Stack, startStack } from '@mesh/e2e';
import { type CapturedSpan, type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { createLogger } from '@mesh/telemetry';
import {
  type FlagFileCopy,
  flagFileCopy,
  freePort,
  startKafka,
  startPostgres,
  startRedis,
  uniqueName,
} from '@mesh/testkit';
import { Pool } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadStorefrontConfig, WORKSHOP_API_KEY } from '../src/config';
import { createStorefrontServer } from '../src/server';
import { launchChromium, tabTo, unlabelledFields } from './support/browser';

/*
 * The storefront in a real Chromium, against the five services running natively (@mesh/e2e)
 * on real PostgreSQL, Redis and Kafka. Services and browser export to an OTLP capture that
 * answers CORS for the storefront's origin only, as the collector does in compose. The gateway
 * allows that origin and accepts the public workshop key, as in compose.
 */

const SCREENSHOTS = join(__dirname, '..', '..', '..', 'docs', 'images', 'storefront');
const SERVICES = ['storefront', 'gateway', 'order', 'inventory', 'payment', 'notification'];
const TERMINAL_TIMEOUT_MS = 30_000;

jest.setTimeout(180_000);

describe('the storefront in a browser', () => {
  let cleanup: (() => Promise<unknown>)[] = [];
  let flags: FlagFileCopy;
  let capture: OtlpCapture;
  let stack: Stack;
  let db: Pool;
  let storefrontUrl: string;
  let browser: Browser;
  let browserContext: BrowserContext;
  let page: Page;

  /** Sets a seeded product's stock and answers it (the n-th by SKU). */
  const productWithStock = async (stock: number, offset: number) => {
    const { rows } = await db.query<{ sku: string; name: string }>(
      'SELECT sku, name FROM inventory.products ORDER BY sku OFFSET $1 LIMIT 1',
      [offset],
    );
    const product = rows[0];
    if (!product) throw new Error('the inventory seed has no products');
    await db.query('UPDATE inventory.products SET stock = $2 WHERE sku = $1', [product.sku, stock]);
    return product;
  };

  const screenshot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  const addToCart = async (sku: string, quantity: number) => {
    await page.goto(`${storefrontUrl}/#/products/${sku}`);
    await page.getByLabel('Quantity').fill(String(quantity));
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText(/Added \d+ ×/).waitFor();
  };

  const checkout = async (customer: string) => {
    await page.goto(`${storefrontUrl}/#/checkout`);
    await page.getByLabel('Your customer name').fill(customer);
    await page.getByRole('button', { name: 'Place order' }).click();
  };

  /** Waits for the order page to show its terminal status and returns it. */
  const terminalStatus = async () => {
    const status = page.locator('[data-status]');
    await page
      .locator(
        '[data-status="CONFIRMED"], [data-status="REJECTED"], [data-status="PAYMENT_FAILED"]',
      )
      .waitFor({ timeout: TERMINAL_TIMEOUT_MS });
    return status.getAttribute('data-status');
  };

  beforeAll(async () => {
    flags = flagFileCopy();
    const port = await freePort();
    storefrontUrl = `http://127.0.0.1:${port}`;
    const [postgres, redis, kafka, otlp] = await Promise.all([
      startPostgres(),
      startRedis(),
      startKafka(),
      startOtlpCapture({ corsOrigin: storefrontUrl }),
    ]);
    capture = otlp;
    cleanup = [() => postgres.stop(), () => redis.stop(), () => kafka.stop(), () => otlp.close()];
    stack = await startStack({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      redisKeyPrefix: redis.keyPrefix,
      kafkaBrokers: kafka.brokers,
      kafkaPrefix: `${uniqueName('storefront')}.`,
      otlpEndpoint: capture.url,
      otlpProtocol: 'http/json',
      flagsFile: flags.file,
      env: { gateway: { API_KEYS: WORKSHOP_API_KEY, CORS_ALLOWED_ORIGIN: storefrontUrl } },
    });
    cleanup.unshift(() => stack.stop());
    db = new Pool({ connectionString: postgres.url, max: 2 });
    cleanup.unshift(() => db.end());

    const config = loadStorefrontConfig({
      GATEWAY_PUBLIC_URL: stack.gatewayUrl,
      OTLP_TRACES_PUBLIC_URL: `${capture.url}/v1/traces`,
      GRAFANA_PUBLIC_URL: 'http://127.0.0.1:3000',
      DEPLOYMENT_ENVIRONMENT: 'e2e',
    });
    const server: Server = createStorefrontServer({
      config: config.browser,
      logger: createLogger({ name: 'storefront', level: 'silent' }),
      publicDir: join(__dirname, '..', 'dist', 'public'),
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect((server.address() as AddressInfo).port).toBe(port);
    cleanup.unshift(() => new Promise((resolve) => server.close(resolve)));

    browser = await launchChromium();
    cleanup.unshift(() => browser.close());
  });

  /** The page's console errors (a blocked request, an exception): printed, to say why a step hangs. */
  let consoleLines: string[] = [];
  beforeEach(async () => {
    browserContext = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    page = await browserContext.newPage();
    consoleLines = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleLines.push(message.text());
    });
    page.on('pageerror', (error) => consoleLines.push(`uncaught: ${error.message}`));
  });
  afterEach(async () => {
    if (consoleLines.length > 0)
      process.stdout.write(`browser console:\n${consoleLines.join('\n')}\n`);
    await browserContext.close();
  });
  afterAll(async () => {
    for (const step of cleanup) await step().catch(() => undefined);
  });

  it('when a person browses, adds to the cart and checks out, then the order is CONFIRMED with its e-mail, and the click is the root of one trace through every service', async () => {
    const product = await productWithStock(1_000, 0);

    await page.goto(storefrontUrl);
    await page.getByRole('link', { name: product.name }).waitFor();
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot('catalogue');

    await page.getByRole('link', { name: product.name }).click();
    await page.getByRole('heading', { level: 1, name: product.name }).waitFor();
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText(`Added 2 × ${product.name}`).waitFor();
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot('product');

    await page.getByRole('link', { name: /^Cart \(2\)$/ }).click();
    await page.getByRole('row', { name: new RegExp(product.name) }).waitFor();
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot('cart');

    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await page.getByLabel('Your customer name').fill('ada');
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot('checkout');
    await page.getByRole('button', { name: 'Place order' }).click();

    expect(await terminalStatus()).toBe('CONFIRMED');
    await page.getByText('Thank you! Your order is confirmed.').waitFor();
    const email = page.locator('.notification');
    await email.waitFor({ timeout: TERMINAL_TIMEOUT_MS });
    expect(await email.textContent()).toMatch(/^Sent to .+: ".+"$/);
    const traceId = (await page.locator('.trace-id').textContent()) ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const grafana = page.getByRole('link', { name: /Open this trace in Grafana/ });
    expect(await grafana.getAttribute('href')).toContain(encodeURIComponent(traceId));
    await page.getByText(/notification Read the event from Kafka and sent the e-mail/).waitFor();
    await screenshot('order-confirmed');

    // One trace: the browser's submit, its fetch, the gateway, and every service behind it.
    const spans = await capture.waitFor(
      () => {
        const inTrace = capture.spans().filter((span) => span.traceId === traceId);
        const services = new Set(inTrace.map((span) => span.serviceName));
        // The fetch span ends last: after the answer and its resource timing.
        return (
          SERVICES.every((service) => services.has(service)) && inTrace.some(isOrderPost) && inTrace
        );
      },
      { what: `spans of every service in trace ${traceId}`, timeoutMs: 20_000 },
    );
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const root = spans.filter((span) => span.parentSpanId === undefined);
    expect(root.map(spanName)).toEqual(['storefront submit']);
    const post = spans.find(isOrderPost);
    expect(post && byId.get(post.parentSpanId ?? '')).toBe(root[0]);
    const gatewayServer = spans.find(
      (span) => span.serviceName === 'gateway' && span.kind === 'SERVER' && /POST/.test(span.name),
    );
    expect(gatewayServer?.parentSpanId).toBe(post?.spanId);
  });

  it('when a product sells out while it is in the cart, then the order page says so and nothing is charged', async () => {
    const product = await productWithStock(5, 1);
    await addToCart(product.sku, 2);
    await productWithStock(0, 1);

    await checkout('grace');

    expect(await terminalStatus()).toBe('REJECTED');
    await page
      .getByText(/Sorry, we could not take your order: .+ You have not been charged\./)
      .waitFor();
    await page.locator('.notification').waitFor({ timeout: TERMINAL_TIMEOUT_MS });
    await screenshot('order-out-of-stock');
  });

  it('when a product does not exist, then its page shows the API problem as a sentence', async () => {
    await page.goto(`${storefrontUrl}/#/products/NO-SUCH-THING`);

    await page.getByRole('alert').getByText('This product does not exist (any more).').waitFor();
  });

  it('when the payment is declined, then a keyboard user sees the order PAYMENT_FAILED with why', async () => {
    const product = await productWithStock(100, 2);
    const changes = () => stack.services.payment.output().split('fault flags changed').length;
    const before = changes();
    flags.switchTo('payment-decline-rate', 'all');
    await capture.waitFor(() => changes() > before, {
      what: 'payment reading the flag file',
      timeoutMs: 30_000,
    });

    // Everything by keyboard: Tab to the controls, type, Enter.
    await page.goto(`${storefrontUrl}/#/products/${product.sku}`);
    await page.getByRole('heading', { level: 1, name: product.name }).waitFor();
    await tabTo(page, '#quantity');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1');
    await tabTo(page, 'form.add-to-cart button[type=submit]');
    await page.keyboard.press('Enter');
    await page.getByText(`Added 1 × ${product.name}`).waitFor();
    await tabTo(page, 'a[href="#/cart"]');
    await page.keyboard.press('Enter');
    await tabTo(page, 'a[href="#/checkout"]');
    await page.keyboard.press('Enter');
    await tabTo(page, '#customer');
    await page.keyboard.type('alan');
    await page.keyboard.press('Enter');

    expect(await terminalStatus()).toBe('PAYMENT_FAILED');
    await page.getByText(/Your payment was declined.*You have not been charged/).waitFor();
    await page.locator('.notification').waitFor({ timeout: TERMINAL_TIMEOUT_MS });
    await screenshot('order-declined');
  });
});

/** The browser's fetch span of POST /api/orders. */
function isOrderPost(span: CapturedSpan): boolean {
  const url = String(span.attributes['url.full'] ?? span.attributes['http.url']);
  return span.serviceName === 'storefront' && span.kind === 'CLIENT' && url.endsWith('/api/orders');
}

function spanName(span: CapturedSpan): string {
  return `${span.serviceName} ${span.name}`;
}
