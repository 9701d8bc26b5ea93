// Line plots as PNG (loss curves, the exclusion/complexity curve), drawn as an SVG string and
// rasterised by sharp (librsvg), so no plotting library or browser is needed.
// x is the index of each value (0, 1, 2, ...). Non-finite values, and non-positive ones on a
// log axis, break the line instead of distorting the scale.
import sharp from 'sharp';

export interface Series {
  name: string;
  values: number[];
  color?: string; // any SVG colour; a default palette is used otherwise
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  width?: number;
  height?: number;
}

// Tableau 10: distinguishable, and readable for the common colour-vision deficiencies.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Render the series as a PNG line plot of width x height pixels. */
export async function plotCurves(series: Series[], opts: PlotOptions): Promise<Buffer> {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 160 || height < 120 || width > 8000 || height > 8000) {
    throw new Error(`plotCurves: size ${width}x${height} is invalid. Pass integer width 160..8000 and height 120..8000.`);
  }
  const svg = plotSvg(series, { ...opts, width, height });
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The SVG source of the plot (exported for callers that want vector output). */
export function plotSvg(series: Series[], opts: PlotOptions & { width: number; height: number }): string {
  const { width, height, logY = false } = opts;
  const usable = (v: number) => Number.isFinite(v) && (!logY || v > 0);
  const tf = (v: number) => (logY ? Math.log10(v) : v);

  // Data ranges (y in transformed units).
  let xMax = 1;
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const s of series) {
    xMax = Math.max(xMax, s.values.length - 1);
    for (const v of s.values) {
      if (!usable(v)) continue;
      yLo = Math.min(yLo, tf(v));
      yHi = Math.max(yHi, tf(v));
    }
  }
  if (yLo === Infinity) [yLo, yHi] = [0, 1]; // nothing to draw: empty axes
  if (yHi - yLo < 1e-12) [yLo, yHi] = [yLo - 0.5, yHi + 0.5];

  const yTicks = logY ? logTicks(yLo, yHi) : niceTicks(yLo, yHi, Math.max(3, Math.floor(height / 60)));
  const xTicks = niceTicks(0, xMax, Math.max(3, Math.floor(width / 90))).filter((t) => Number.isInteger(t));
  // Axis spans the ticks, so the top and bottom lines are labelled.
  const y0 = Math.min(yLo, yTicks[0] ?? yLo);
  const y1 = Math.max(yHi, yTicks[yTicks.length - 1] ?? yHi);

  const m = { left: 72, right: 24, top: 36, bottom: 48 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const px = (x: number) => m.left + (x / xMax) * pw;
  const py = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" font-size="15" text-anchor="middle" font-weight="bold">${esc(opts.title)}</text>`);

  // Grid and tick labels.
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    const label = logY ? formatNumber(10 ** t) : formatNumber(t);
    parts.push(`<text x="${m.left - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${label}</text>`);
  }
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 16}" font-size="11" text-anchor="middle">${formatNumber(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${height - 10}" font-size="12" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(
    `<text x="16" y="${m.top + ph / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${esc(opts.yLabel)}</text>`,
  );

  // Lines: one path, with a new subpath after every gap.
  series.forEach((s, k) => {
    const colour = s.color ?? PALETTE[k % PALETTE.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (!usable(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${px(i).toFixed(1)},${py(tf(v)).toFixed(1)}`;
      pen = true;
    });
    if (d) {
      parts.push(`<path d="${d}" fill="none" stroke="${esc(colour)}" stroke-width="1.5" stroke-linejoin="round"/>`);
    }
  });

  // Legend, top right inside the plot area.
  if (series.length > 0) {
    const lw = Math.min(pw - 8, 24 + 7 * Math.max(...series.map((s) => s.name.length)));
    const lx = m.left + pw - lw - 8;
    parts.push(`<rect x="${lx}" y="${m.top + 8}" width="${lw}" height="${series.length * 16 + 8}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
    series.forEach((s, k) => {
      const y = m.top + 20 + k * 16;
      const colour = s.color ?? PALETTE[k % PALETTE.length];
      parts.push(`<line x1="${lx + 6}" x2="${lx + 20}" y1="${y}" y2="${y}" stroke="${esc(colour)}" stroke-width="2"/>`);
      parts.push(`<text x="${lx + 24}" y="${y}" font-size="11" dominant-baseline="middle">${esc(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** About `count` round-numbered ticks (steps of 1, 2 or 5 x 10^k) covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : +t.toPrecision(12));
  }
  if (ticks[ticks.length - 1] < hi) ticks.push(+(ticks[ticks.length - 1] + step).toPrecision(12));
  return ticks;
}

/** Ticks in log10 units: at whole decades, or linear nice ticks when the range is under one decade. */
function logTicks(lo: number, hi: number): number[] {
  if (hi - lo < 1) return niceTicks(10 ** lo, 10 ** hi, 4).filter((v) => v > 0).map(Math.log10);
  const stride = Math.max(1, Math.ceil((Math.ceil(hi) - Math.floor(lo)) / 8));
  const ticks: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e += stride) ticks.push(e);
  return ticks;
}

function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(+v.toPrecision(4));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
