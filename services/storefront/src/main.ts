import { exitOnSignals, failStart } from '@mesh/service-kit/lifecycle';
import { createLogger } from '@mesh/telemetry';
import { loadStorefrontConfig } from './config';
import { createStorefrontServer } from './server';

async function main(): Promise<void> {
  const config = loadStorefrontConfig();
  const logger = createLogger({ name: 'storefront', level: config.LOG_LEVEL });
  const server = createStorefrontServer({ config: config.browser, logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  logger.info({ port: config.PORT, gateway: config.browser.gatewayUrl }, 'storefront listening');
  exitOnSignals(
    [
      {
        name: 'http server',
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(createLogger({ name: 'storefront' }), error));
