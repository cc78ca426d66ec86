import { randomBytes } from 'node:crypto';
import type { Faults } from '@mesh/service-kit';
import type { FastifyRequest } from 'fastify';

/** What each request leaves behind while the fault is on; on the V8 heap (a string, not a Buffer). */
const SNAPSHOT_BYTES = 100 * 1024;
/**
 * The most snapshots kept (about 31 MiB), the oldest dropped first: a gateway in compose has a
 * 96 MiB heap, and the workshop fault should show a leak, not take the public API down.
 */
const MAX_SNAPSHOTS = 320;

interface RequestSnapshot {
  method: string;
  url: string;
  /** Stands for the body and context a real snapshot would copy: 100 KiB, unique per request. */
  detail: string;
}

export interface RequestSnapshots {
  /** Called once per request; returns once the snapshot is kept (or not). */
  record(request: FastifyRequest): Promise<void>;
}

/**
 * Workshop fault gateway-memory-leak: a debugging aid that keeps a snapshot of every request to
 * /api that passes the key check in a map keyed by request id, and nothing ever deletes one, as
 * with a cache that has no eviction.
 * The heap (v8js.memory.heap.used) grows by about 100 KiB per request, up to MAX_SNAPSHOTS, and
 * under a capped heap (compose: 96 MiB) the garbage collector runs more often (v8js.gc.duration). The first request that finds the flag
 * off drops them all, so the next full collection gives the memory back. Off, a request costs
 * one flag read and nothing else.
 */
export function requestSnapshots(faults: Faults): RequestSnapshots {
  const snapshots = new Map<string, RequestSnapshot>();
  return {
    async record(request) {
      if (!(await faults.on('gateway-memory-leak'))) {
        if (snapshots.size > 0) snapshots.clear();
        return;
      }
      snapshots.set(request.id, {
        method: request.method,
        url: request.url,
        detail: randomBytes(SNAPSHOT_BYTES / 2).toString('hex'),
      });
      if (snapshots.size > MAX_SNAPSHOTS) {
        const [oldest] = snapshots.keys();
        if (oldest !== undefined) snapshots.delete(oldest);
      }
    },
  };
}
