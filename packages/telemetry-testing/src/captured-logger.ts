import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@mesh/telemetry';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose JSON lines are kept in `lines`, for tests that assert what was logged. */
export interface CapturedLogger {
  logger: Logger;
  lines: LogLine[];
}

export function capturedLogger(level = 'debug', name?: string): CapturedLogger {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  return { logger: createLogger({ name, level, destination }), lines };
}
