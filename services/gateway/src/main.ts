import { exitOnSignals, failStart } from '@mesh/service-kit';
import { createLogger, setTraceEdgePolicy } from '@mesh/telemetry';
import { buildApp } from './app';
import { loadGatewayConfig } from './config';
import { createDependencies } from './dependencies';
import { traceEdgePolicy } from './trace-edge';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
  // Before the first request: trace context from outside is continued only for trusted callers.
  setTraceEdgePolicy(traceEdgePolicy(config));
  const deps = createDependencies(config, logger);
  const app = buildApp(deps);
  await app.listen({ port: config.PORT, host: config.HOST });
  exitOnSignals(
    [
      { name: 'http server', close: () => app.close() },
      { name: 'redis', close: () => deps.redis.quit() },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(createLogger({ name: 'gateway' }), error));
