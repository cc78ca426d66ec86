import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mesh/telemetry';
import { loadStorefrontConfig } from '../src/config';
import { createStorefrontServer } from '../src/server';

/** A build as Vite lays it out: index.html and hashed assets. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-build-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>shop</title>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("shop")');
  writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
  return dir;
}

describe('the storefront server', () => {
  const config = loadStorefrontConfig({
    GATEWAY_PUBLIC_URL: 'http://localhost:8080/',
    OTLP_TRACES_PUBLIC_URL: 'http://localhost:4318/v1/traces',
  });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createStorefrontServer({
      config: config.browser,
      logger: createLogger({ name: 'storefront', level: 'silent' }),
      publicDir: fakeBuild(),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('when the page is asked for, then index.html is served, revalidated, with a policy naming only the gateway and the collector', async () => {
    const response = await fetch(`${base}/`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain(
      "connect-src 'self' http://localhost:8080 http://localhost:4318/v1/traces",
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('when a hashed asset is asked for, then it is served with its type and cached for good', async () => {
    const script = await fetch(`${base}/assets/index-abc123.js`);
    const style = await fetch(`${base}/assets/index-abc123.css`);

    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).toBe('console.log("shop")');
  });

  it('when /config.json is asked for, then the page gets its settings from the environment', async () => {
    const response = await fetch(`${base}/config.json`);

    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      gatewayUrl: 'http://localhost:8080',
      apiKey: 'mesh-demo-key',
      otlpTracesUrl: 'http://localhost:4318/v1/traces',
      grafanaUrl: 'http://127.0.0.1:3000',
      tempoDatasourceUid: 'tempo',
      environment: 'workshop',
    });
  });

  it('when a path is outside the build, then it is 404, however it is written', async () => {
    for (const path of [
      '/nothing.js',
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2fpackage.json',
    ]) {
      expect({ path, status: (await fetch(`${base}${path}`)).status }).toEqual({
        path,
        status: 404,
      });
    }
  });

  it('when a method other than GET or HEAD comes, then it is 405', async () => {
    const response = await fetch(`${base}/`, { method: 'POST', body: 'x' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('when the health is asked for, then it answers ok', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('when a setting is not a URL, then the config names it', () => {
    expect(() => loadStorefrontConfig({ GRAFANA_PUBLIC_URL: 'grafana' })).toThrow(
      /GRAFANA_PUBLIC_URL/,
    );
    expect(loadStorefrontConfig({ OTLP_TRACES_PUBLIC_URL: '' }).browser.otlpTracesUrl).toBe('');
  });
});
