/**
 * The preload entry: `node --require @mesh/telemetry/register dist/main.js`.
 *
 * It must run before any application module is loaded, so that http, express, pg, ioredis,
 * kafkajs, pino and fastify are patched as they are first required.
 */
import { startTelemetry } from './sdk';

startTelemetry();
