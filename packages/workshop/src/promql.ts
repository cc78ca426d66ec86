/*
 * Finds the metric names a PromQL expression reads, so dashboards can be checked against the
 * metrics the stack really produces. A small lexer, not a PromQL parser: it removes what
 * cannot be a metric name (strings, label matchers, grouping clauses, ranges, Grafana
 * variables) and keeps identifiers that are not functions or keywords.
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'by',
  'without',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

/** Metric names read by a PromQL expression (or a Grafana `label_values(metric, label)` query). */
export function metricNames(expression: string): string[] {
  const labelValues = /^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*,/.exec(
    expression,
  );
  if (labelValues?.[1]) return [labelValues[1]];
  if (/^\s*label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/.test(expression)) return [];

  const cleaned = expression
    // Grafana variables: $__rate_interval, ${service}, [[var]]
    .replace(/\$\{[^}]*\}|\$__[a-zA-Z_]+|\$[a-zA-Z_][a-zA-Z0-9_]*|\[\[[^\]]*\]\]/g, ' ')
    // string literals
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    // label matchers and range/subquery selectors
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    // grouping and vector matching label lists
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // offset 5m, @ start()
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ')
    .replace(/@\s*(start\(\)|end\(\)|[0-9.]+)/g, ' ');

  const names = new Set<string>();
  const identifier = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  for (let match = identifier.exec(cleaned); match; match = identifier.exec(cleaned)) {
    const name = match[0];
    const before = cleaned[match.index - 1] ?? ' ';
    const after = cleaned.slice(match.index + name.length);
    // part of a number (1e3, 0x1f) or a duration (5m)
    if (/[0-9.]/.test(before)) continue;
    if (/^\s*\(/.test(after)) continue; // function or aggregation call
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}
