import { AppError } from '@mesh/service-kit';
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics';

/** How soon a shed client may try again, in seconds: overload at one gateway passes quickly. */
const RETRY_AFTER_SECONDS = '1';

/**
 * At most `maxInFlight` requests of this plugin's routes are handled at once by this process;
 * the next is answered 503 `overloaded` with Retry-After straight away, before the rate limit,
 * the key check or any call upstream. Without a bound, a gateway in front of a slow order
 * service keeps accepting requests that wait (memory, sockets) until it falls over, and every
 * client times out instead of the few over the limit being told at once.
 *
 * A counter rather than @fastify/under-pressure: that plugin sheds on event-loop delay and
 * memory, which stay low while requests wait on a slow upstream, the case that piles them up.
 */
export function registerLoadShedding(
  app: FastifyInstance,
  deps: { maxInFlight: number; metrics: GatewayMetrics },
): void {
  let inFlight = 0;
  app.addHook('onRequest', async function shedLoad(_request, reply) {
    if (inFlight >= deps.maxInFlight) {
      deps.metrics.countShed();
      throw new AppError('overloaded', {
        detail: `More than ${deps.maxInFlight} requests in progress; retry shortly.`,
        headers: { 'retry-after': RETRY_AFTER_SECONDS },
      });
    }
    inFlight += 1;
    // 'close' comes once the response is sent or the client went away, whichever is first.
    reply.raw.once('close', () => {
      inFlight -= 1;
    });
  });
}
