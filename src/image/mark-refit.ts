// Several images sharing one mark, I_k = m W + (1 - m) C_k: the mark refit as one colour (or two)
// with a per-pixel opacity, fitted to every image at once (the colours by least squares, the final
// opacity robustly), the clean DIPs' outputs standing in for C_k. The DIPs learn m and W as smooth
// maps, and a map W absorbs part of what m gets wrong; a colour fitted to all K images pins m down
// pixel by pixel (docs/benchmarks.md, "Watermark, several images: the mark refit as one colour").
import type { Image } from './image.js';
import { mapRows, rowsOf } from './lazy-image.js';
import { clamp01 } from './pixel.js';

export type Rgb = [number, number, number];

/** The refit mark: pixel i takes colours[j] for the centre j nearest its learned colour (one entry: one colour everywhere). */
export interface MarkFit { centres: Rgb[]; colours: Rgb[] }

export interface RefitRecipe {
  /** Rounds of fitting the colours and the opacity in turn. */
  rounds: number;
  /** The colours are fitted, and the learned colours split, on pixels of at least this opacity. */
  minOpacity: number;
  /** Two colours when the smaller of the learned colours' two clusters holds at least this share of the opacity, */
  minShare: number;
  /** and their centres are at least this far apart (RGB distance; splitting one colour's noise gives near ones). */
  minDistance: number;
  /** The final per-pixel opacity's robust fit (opacityFor; the colours are fitted with plain least squares). */
  robust: RobustFit;
}

/** Rounds of reweighted least squares for the opacity, and the floor eps under each image's squared residual. */
export interface RobustFit { rounds: number; eps: number }

/** Plain least squares: the opacity inside the colours' fit (robust there too measured 0.1 dB lower on the dev set's tuning half). */
const LEAST_SQUARES: RobustFit = { rounds: 0, eps: 0 };

const dist2 = (p: ArrayLike<number>, i: number, c: readonly number[]) => (p[i * 3] - c[0]) ** 2 + (p[i * 3 + 1] - c[1]) ** 2 + (p[i * 3 + 2] - c[2]) ** 2;
const nearest = (p: ArrayLike<number>, i: number, centres: readonly Rgb[]) => (centres.length > 1 && dist2(p, i, centres[1]) < dist2(p, i, centres[0]) ? 1 : 0);

/**
 * m at one pixel given its mark colour W: argmin over m of sum_k |I_k - m W - (1 - m) C_k|, one
 * residual norm per image (robust: an image whose clean DIP output is wrong at this pixel, as at a
 * sharp edge the DIP blurs, does not drag m with it). Least squares first, sum_k (I_k - C_k).(W - C_k)
 * / sum_k |W - C_k|^2, then `rounds` of reweighted least squares (weights 1 / sqrt(|r_k|^2 + eps));
 * held to [0, 1]; 0 where W equals every C_k.
 */
function opacityAt(I: Float32Array[], C: Float32Array[], W: ArrayLike<number>, w: number, i: number, robust: RobustFit): number {
  let m = 0;
  for (let round = 0; round <= robust.rounds; round++) {
    let num = 0, den = 0;
    for (let k = 0; k < I.length; k++) {
      let r2 = 0;
      if (round > 0) for (let c = 0; c < 3; c++) r2 += (I[k][i * 3 + c] - m * W[w + c] - (1 - m) * C[k][i * 3 + c]) ** 2;
      const weight = round > 0 ? 1 / Math.sqrt(r2 + robust.eps) : 1;
      for (let c = 0; c < 3; c++) {
        const ck = C[k][i * 3 + c], d = W[w + c] - ck;
        num += weight * (I[k][i * 3 + c] - ck) * d;
        den += weight * d * d;
      }
    }
    if (round === 0 && !(den > 1e-6)) return 0;
    if (den > 0) m = clamp01(num / den);
  }
  return m;
}

/**
 * Two clusters of the learned colours (2-means started from a split across their principal axis),
 * each pixel counted by its opacity; the pixels are those of opacity >= minOpacity. Also their mean.
 * (A start from the farthest colour hung on one stray pixel: a held-back two-colour logo at 160 px
 * stayed one cluster; docs/benchmarks.md, "Several images at 160 px".)
 */
function twoClusters(W: Float32Array, m: Float32Array, minOpacity: number): { mean: Rgb; centres: [Rgb, Rgb]; share: number } {
  const ids: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i] >= minOpacity) ids.push(i);
  const meanOf = (members: number[]): Rgb => {
    const s = [0, 0, 0];
    let n = 0;
    for (const i of members) { for (let c = 0; c < 3; c++) s[c] += m[i] * W[i * 3 + c]; n += m[i]; }
    return s.map((v) => v / n) as Rgb;
  };
  const all = meanOf(ids);
  const axis = principalAxis(W, m, ids, all);
  const side = (i: number) => (W[i * 3] - all[0]) * axis[0] + (W[i * 3 + 1] - all[1]) * axis[1] + (W[i * 3 + 2] - all[2]) * axis[2] > 0;
  const start = [ids.filter((i) => !side(i)), ids.filter(side)];
  let centres = start.map((g) => (g.length ? meanOf(g) : all)) as [Rgb, Rgb];
  let share = 0;
  for (let t = 0; t < 20; t++) {
    const groups: [number[], number[]] = [[], []];
    for (const i of ids) groups[nearest(W, i, centres)].push(i);
    centres = groups.map((g, j) => (g.length ? meanOf(g) : centres[j])) as [Rgb, Rgb];
    const weight = (g: number[]) => g.reduce((s, i) => s + m[i], 0);
    share = Math.min(weight(groups[0]), weight(groups[1])) / (weight(groups[0]) + weight(groups[1]));
  }
  return { mean: all, centres, share };
}

/** The first principal axis of the colours W at pixels ids about their mean, each weighted by its opacity (power iteration on the 3x3 covariance). */
function principalAxis(W: Float32Array, m: Float32Array, ids: number[], mean: Rgb): Rgb {
  const S = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const i of ids) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) S[a * 3 + b] += m[i] * (W[i * 3 + a] - mean[a]) * (W[i * 3 + b] - mean[b]);
  let v: Rgb = [1, 1, 1];
  for (let t = 0; t < 50; t++) {
    const u = [0, 1, 2].map((a) => S[a * 3] * v[0] + S[a * 3 + 1] * v[1] + S[a * 3 + 2] * v[2]);
    const norm = Math.hypot(...u);
    if (norm < 1e-12) break;
    v = u.map((x) => x / norm) as Rgb;
  }
  return v;
}

/**
 * The mark's colours, fitted with m in turns (`rounds`) from the learned opacity m0 and colours W0:
 * inputs, clean DIP outputs, m0 and W0 at one (working) size. One colour, or two where the learned
 * colours fall in two clusters of at least `minShare` each. Null when no pixel reaches minOpacity.
 */
export function fitMark(inputs: Image[], cleans: Image[], m0: Image, W0: Image, r: RefitRecipe): MarkFit | null {
  let m = Float32Array.from(rowsOf(m0, 0, m0.height));
  if (!m.some((v) => v >= r.minOpacity)) return null;
  const W = rowsOf(W0, 0, W0.height);
  const I = inputs.map((img) => rowsOf(img, 0, img.height)), C = cleans.map((img) => rowsOf(img, 0, img.height));
  const split = twoClusters(W, m, r.minOpacity);
  const apart = Math.sqrt(dist2(split.centres[0], 0, split.centres[1]));
  const centres: Rgb[] = split.share >= r.minShare && apart >= r.minDistance ? split.centres : [split.mean];
  const label = Uint8Array.from({ length: m.length }, (_, i) => nearest(W, i, centres));
  let colours = centres.map((c) => [...c] as Rgb);
  for (let round = 0; round < r.rounds; round++) {
    // Each colour given m: argmin of sum_k |I_k - m W - (1 - m) C_k|^2 over its pixels of opacity >= minOpacity.
    colours = colours.map((prev, j) => {
      const num = [0, 0, 0];
      let den = 0;
      for (let i = 0; i < m.length; i++) {
        const a = m[i];
        if (label[i] !== j || a < r.minOpacity) continue;
        for (let k = 0; k < I.length; k++) for (let c = 0; c < 3; c++) num[c] += a * (I[k][i * 3 + c] - (1 - a) * C[k][i * 3 + c]);
        den += I.length * a * a;
      }
      return den > 0 ? (num.map((v) => clamp01(v / den)) as Rgb) : prev;
    });
    const flat = colours.flat();
    m = Float32Array.from(m, (_, i) => opacityAt(I, C, flat, label[i] * 3, i, LEAST_SQUARES));
  }
  return { centres, colours };
}

/** The refit mark's colour at every pixel, from the learned colours W (lazy: a strip of rows at a time; full resolution). */
export function markColours(W: Image, fit: MarkFit): Image {
  return mapRows([W], 3, ([w], out) => {
    for (let i = 0; i < out.length / 3; i++) out.set(fit.colours[nearest(w, i, fit.centres)], i * 3);
  });
}

/**
 * The per-pixel opacity for a mark of these colours over every image (lazy: a strip of rows at a
 * time; full resolution); with `where`, only at its pixels of value > 0.5 (0 elsewhere: the task
 * keeps the input there, and the robust fit is most of the solve's time on a large photo).
 */
export function opacityFor(inputs: Image[], cleans: Image[], mark: Image, robust: RobustFit, where?: Image): Image {
  const K = inputs.length;
  return mapRows([...inputs, ...cleans, mark, ...(where ? [where] : [])], 1, (rows, out) => {
    const I = rows.slice(0, K), C = rows.slice(K, 2 * K), W = rows[2 * K], at = where ? rows[2 * K + 1] : null;
    for (let i = 0; i < out.length; i++) out[i] = !at || at[i] > 0.5 ? opacityAt(I, C, W, i * 3, i, robust) : 0;
  });
}
