import { prettyFactory } from 'pino-pretty';

/** Turns one line a process wrote into what the terminal shows. */
export type LineFormatter = (source: string, line: string) => string;

const COLOURS = [36, 35, 33, 32, 34, 96, 95]; // cyan, magenta, yellow, green, blue, ...

/**
 * For a person at a terminal: each pino JSON line pretty-printed on one line, behind the name of
 * the process that wrote it in a colour of its own; other lines (a stack trace, the collector's
 * warnings) as they are, behind the same name.
 */
export function prettyLines(sources: readonly string[]): LineFormatter {
  const width = Math.max(...sources.map((source) => source.length));
  const prefixes = new Map(
    sources.map((source, index) => [
      source,
      `\x1b[${COLOURS[index % COLOURS.length]}m${source.padEnd(width)} |\x1b[0m `,
    ]),
  );
  const pretty = prettyFactory({
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // trace_id stays: it is what to search the other services' lines for.
    ignore: 'pid,hostname,span_id,trace_flags',
  });
  return (source, line) => {
    const prefix = prefixes.get(source) ?? `${source} | `;
    // pino-pretty keeps an error's stack on lines of its own; each gets the prefix too.
    const shown = line.startsWith('{') ? pretty(line).trimEnd().split('\n') : [line];
    return shown.map((part) => `${prefix}${part}\n`).join('');
  };
}

/**
 * For a pipe or a file: JSON lines only, each naming the process it came from in `service`,
 * so that `| jq 'select(.service == "order")'` works. A line that is not JSON becomes the `msg`
 * of one.
 */
export function jsonLines(): LineFormatter {
  return (source, line) => {
    const service = JSON.stringify(source);
    if (line.startsWith('{') && line.endsWith('}') && line !== '{}')
      return `{"service":${service},${line.slice(1)}\n`;
    return `${JSON.stringify({ service: source, msg: line })}\n`;
  };
}
