import { exitOnSignals, failStart, startFaults } from '@mesh/service-kit';
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
  const faults = await startFaults({ file: config.FLAGS_FILE, logger });
  const deps = createDependencies(config, logger, faults);
  const app = buildApp(deps);
  await app.listen({ port: config.PORT, host: config.HOST });
  exitOnSignals(
    [
      { name: 'http server', close: () => app.close() },
      { name: 'redis', close: () => deps.redis.quit() },
      { name: 'fault flags', close: () => faults.close() },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(createLogger({ name: 'gateway' }), error));
