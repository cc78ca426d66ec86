import { linePlot, niceTicks } from '../src/plot';

describe('niceTicks', () => {
  it('covers the range in steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 230)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 9)).toEqual([0, 2, 4, 6, 8, 10]);
  });
});

describe('linePlot', () => {
  const svg = linePlot({
    title: 'Latency <on & off>',
    xLabel: 'orders/s',
    yLabel: 'ms',
    width: 640,
    height: 360,
    series: [
      {
        name: 'off',
        points: [
          [0, 0],
          [100, 200],
        ],
      },
      {
        name: 'on',
        points: [
          [50, Number.NaN],
          [100, 100],
        ],
        dashed: true,
      },
    ],
  });

  it('is a standalone SVG with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Latency &lt;on &amp; off&gt;');
  });

  it('maps points into the plot area: origin bottom left, maxima at the top right', () => {
    // plot area: x 64..490 (width − 64 − 150), y 36..312 (height − 36 − 48); axes 0..100, 0..200
    expect(svg).toContain('<polyline points="64,312 490,36"');
  });

  it('leaves out points that are not numbers and dashes dashed series', () => {
    expect(svg).toContain(
      '<polyline points="490,174" fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/>',
    );
  });

  it('has a legend entry per series', () => {
    expect(svg).toContain('>off</text>');
    expect(svg).toContain('>on</text>');
  });
});
