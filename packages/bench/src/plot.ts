/*
 * Line charts as standalone SVG, small enough to commit next to the document that shows them.
 * Deterministic: the same data gives the same bytes, so a re-run diffs only where numbers moved.
 */

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Drawn dashed, e.g. a percentile beside its median. */
  dashed?: boolean;
  /** Index into the palette; by default the series' own position. */
  colour?: number;
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const MARGIN = { top: 36, right: 150, bottom: 48, left: 64 };

/**
 * About `count` round tick values from at or below `min` to at or above `max` (steps of 1, 2 or
 * 5 × 10^n), so the outer ticks bound every point.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((f) => f * magnitude >= rough) ?? 10) * magnitude;
  const ticks: number[] = [];
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const fixed = (n: number) => Number(n.toFixed(1)).toString();

export function linePlot(plot: LinePlot): string {
  const width = plot.width ?? 640;
  const height = plot.height ?? 360;
  const innerW = width - MARGIN.left - MARGIN.right;
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const points = plot.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(1, ...xs));
  const yTicks = niceTicks(0, Math.max(1, ...ys));
  const xMax = xTicks.at(-1) as number;
  const xMin = xTicks[0] as number;
  const yMax = yTicks.at(-1) as number;
  const sx = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin || 1)) * innerW;
  const sy = (y: number) => MARGIN.top + innerH - (y / (yMax || 1)) * innerH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(plot.title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" y1="${fixed(sy(t))}" x2="${MARGIN.left + innerW}" y2="${fixed(sy(t))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${fixed(sy(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${fixed(sx(t))}" y1="${MARGIN.top + innerH}" x2="${fixed(sx(t))}" y2="${MARGIN.top + innerH + 4}" stroke="#333"/>`,
      `<text x="${fixed(sx(t))}" y="${MARGIN.top + innerH + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${innerW}" height="${innerH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + innerW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`,
    `<text x="16" y="${MARGIN.top + innerH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + innerH / 2})">${escapeXml(plot.yLabel)}</text>`,
  );
  plot.series.forEach((series, index) => {
    const colour = COLOURS[(series.colour ?? index) % COLOURS.length] as string;
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    const path = series.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]) => `${fixed(sx(x))},${fixed(sy(y))}`)
      .join(' ');
    if (path) {
      out.push(
        `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`,
      );
    }
    const legendY = MARGIN.top + 10 + index * 18;
    const legendX = MARGIN.left + innerW + 12;
    out.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 20}" y2="${legendY}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<text x="${legendX + 26}" y="${legendY + 4}">${escapeXml(series.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
