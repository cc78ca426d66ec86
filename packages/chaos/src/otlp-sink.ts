import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in collector does with an export. */
export type SinkMode = 'accept' | 'slow' | 'dead';

/**
 * A stand-in for the OpenTelemetry Collector that the services export to. It discards what it
 * gets; what matters is how it answers: at once (`accept`), after 30 s (`slow`, a collector
 * under pressure), or not at all because nothing listens on its port any more (`dead`).
 */
export interface OtlpSink {
  readonly url: string;
  setMode(mode: SinkMode): Promise<void>;
  /** Export requests answered so far. */
  readonly received: number;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let mode: SinkMode = 'accept';
  let received = 0;
  const server: Server = createServer((incoming, outgoing) => {
    incoming.resume();
    incoming.on('end', () => {
      const answer = () => {
        received += 1;
        outgoing.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      };
      if (mode === 'slow') setTimeout(answer, 30_000).unref();
      else answer();
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    setMode: async (next) => {
      if (next === mode) return;
      const wasDead = mode === 'dead';
      mode = next;
      if (next === 'dead') await close();
      else if (wasDead) await listen(port);
    },
    close: async () => {
      if (mode !== 'dead') await close();
    },
  };
}
