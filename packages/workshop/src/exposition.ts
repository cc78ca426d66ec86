/*
 * Reads the Prometheus text and OpenMetrics exposition formats, as served by the collector's
 * prometheus exporter and its own telemetry endpoint: sample names, labels and exemplars.
 * https://prometheus.io/docs/instrumenting/exposition_formats/ and
 * https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md
 */

export interface Sample {
  /** The series name as Prometheus stores it, e.g. traces_spanmetrics_calls_total. */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** OpenMetrics only: the exemplar attached to this sample (trace_id, span_id, ...). */
  exemplar?: Record<string, string>;
}

/** Parses `{a="x",b="y\"z"}` starting at `text[start] === '{'`; returns the labels and the end. */
function parseLabels(text: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (i < text.length && text[i] !== '}') {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq).trim().replace(/^,/, '').trim();
    i = eq + 2; // skip ="
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
      } else {
        value += text[i];
        i += 1;
      }
    }
    labels[name.replace(/^"|"$/g, '')] = value;
    i += 1; // closing quote
    while (text[i] === ',' || text[i] === ' ') i += 1;
  }
  return { labels, end: i + 1 };
}

/** Every sample of an exposition, with its exemplar when the line has one. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    const name = line.slice(0, nameEnd);
    let rest = nameEnd;
    let labels: Record<string, string> = {};
    if (line[nameEnd] === '{') {
      const parsed = parseLabels(line, nameEnd);
      labels = parsed.labels;
      rest = parsed.end;
    }
    const [valuePart = '', exemplarPart] = line.slice(rest).split(' # ');
    const value = Number(valuePart.trim().split(/\s+/)[0]);
    const sample: Sample = { name, labels, value };
    if (exemplarPart?.startsWith('{')) sample.exemplar = parseLabels(exemplarPart, 0).labels;
    samples.push(sample);
  }
  return samples;
}

/**
 * The series names Prometheus stores from an exposition. OpenMetrics `_created` lines are left
 * out: Prometheus reads them as start timestamps, not as series of their own.
 */
export function seriesNames(text: string): Set<string> {
  return new Set(
    parseExposition(text)
      .map((sample) => sample.name)
      .filter((name) => !name.endsWith('_created')),
  );
}
