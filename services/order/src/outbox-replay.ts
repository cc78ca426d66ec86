import { createPool } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { DB_SCHEMA, loadOrderConfig } from './config';
import { parseReplayArguments, replayParkedEvents } from './outbox/outbox.replay';

// `pnpm --filter @mesh/order outbox:replay --all | <order-id>...` (or `node dist/outbox-replay.js`
// where pnpm is not installed): puts parked outbox events back in the relay's queue.

async function main(): Promise<void> {
  const target = parseReplayArguments(process.argv.slice(2));
  const config = loadOrderConfig();
  const logger = createLogger({ name: 'order-outbox-replay', level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, {
    applicationName: 'order-outbox-replay',
    schema: DB_SCHEMA,
    logger,
  });
  try {
    const replayed = await replayParkedEvents(pool, target);
    process.stdout.write(
      `${replayed} parked event(s) back in the queue; the relay publishes them at its next pass\n`,
    );
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
