/*
 * Sends this service's dead-lettered order events back to order-events, once whatever made them
 * fail is fixed:
 *
 *   pnpm --filter @mesh/inventory dlq:replay [--limit N]   (natively, after a build)
 *   docker compose exec inventory node dist/dlq-replay.js [--limit N]
 *
 * It reads the service's own variables (KAFKA_BROKERS, ORDER_EVENTS_TOPIC, KAFKA_GROUP_ID), so
 * it replays `order-events.<group>.dlq` of the group it is run for. A second replay is harmless:
 * the consumer applies each event id once.
 */
import { runDeadLetterReplay } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { readConfig } from './config';

const config = readConfig();
const logger = createLogger({ name: 'inventory-dlq-replay', level: config.LOG_LEVEL });

runDeadLetterReplay({
  topic: config.ORDER_EVENTS_TOPIC,
  groupId: config.KAFKA_GROUP_ID,
  brokers: config.KAFKA_BROKERS,
  clientId: 'inventory-dlq-replay',
  logger,
  argv: process.argv.slice(2),
}).catch((error: unknown) => {
  logger.error({ err: error }, 'dead-letter replay failed');
  process.exitCode = 1;
});
