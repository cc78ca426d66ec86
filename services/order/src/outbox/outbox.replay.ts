import type { Pool } from '@mesh/service-kit';
import { unparkEvents } from '../data/outbox.repository';

// Parked events (ones Kafka kept refusing) wait for a person to look at them; this puts them
// back in the relay's queue once the cause is dealt with.

export type ReplayTarget = { all: true } | { orderIds: string[] };

export const REPLAY_USAGE = 'usage: outbox:replay --all | <order-id>...';

const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `--all`, or one or more order ids; anything else is refused with the usage. */
export function parseReplayArguments(args: string[]): ReplayTarget {
  if (args.length === 1 && args[0] === '--all') return { all: true };
  if (args.length === 0 || args.includes('--all')) throw new Error(REPLAY_USAGE);
  const notIds = args.filter((arg) => !ORDER_ID.test(arg));
  if (notIds.length > 0) throw new Error(`not order ids: ${notIds.join(' ')}\n${REPLAY_USAGE}`);
  return { orderIds: args };
}

/**
 * Un-parks the target's events, which the relay then publishes at its next pass, each with a
 * fresh count of attempts. Returns how many were parked.
 */
export function replayParkedEvents(pool: Pool, target: ReplayTarget): Promise<number> {
  return unparkEvents(pool, 'all' in target ? undefined : target.orderIds);
}
