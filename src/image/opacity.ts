// The opacity heuristics of one-image watermark removal (src/tasks/watermark.ts): the opacity m
// the mask DIP learned is held to what the input allows (opacityBound), clipped at the mark's one
// opacity level (opacityLevel), kept only near the mark's core (keepNearCore), its core set to the
// level (fillCore) and made to follow the mark's edges (followMarkEdges). Sizes are in pixels of
// the image they are given. Measurements: docs/benchmarks.md, "Recipe measurements".
import { createImage, type Image } from './image.js';
import { forEachStrip, mapRows, rowsOf } from './lazy-image.js';
import { dilate, open } from './morphology.js';
import { guidedFilter } from './guided-filter.js';

/** Opacities at or below this are not counted when finding the mark's opacity level. */
export const OPACITY_FLOOR = 0.1;

/**
 * The mark's opacity level: the opacity that holds the most of the mark's total opacity, i.e.
 * the mode of the histogram of the opacities above OPACITY_FLOOR (bins of 0.02, smoothed 1-2-1)
 * with each pixel counted by its opacity; null if none is above the floor. Counting by opacity
 * keeps the many faint leaks just above the floor from outvoting the mark. A watermark is mostly
 * drawn at one opacity; what the learned opacity puts above that level is a bright image edge
 * taken for mark (the mask DIP's typical leak: a white rim or highlight fits a white mark), and
 * the solve turns it into a dark trace. A mark drawn at several opacities needs `opacity: 'free'`.
 */
export function opacityLevel(alpha: Image, floor = OPACITY_FLOOR): number | null {
  const bin = 0.02, mass = new Float64Array(Math.ceil(1 / bin) + 1);
  let n = 0;
  for (const v of alpha.data) if (v > floor) { mass[Math.min(mass.length - 1, Math.floor(v / bin))] += v; n++; }
  if (n === 0) return null;
  let best = 0, bestValue = -1;
  for (let i = 0; i < mass.length; i++) {
    const v = (mass[i - 1] ?? 0) + 2 * mass[i] + (mass[i + 1] ?? 0);
    if (v > bestValue) { best = i; bestValue = v; }
  }
  return Math.min(1, (best + 0.5) * bin);
}

/** Opacity within this fraction of the level is the mark's core (see keepNearCore). */
export const CORE_FRACTION = 0.7;
/** A bold mark's strokes are at least this thick, in working-size pixels: thinner lines of core are traced edges (see keepNearCore, coreThickness). */
export const CORE_THICKNESS = 2;

/**
 * A mark drawn at one opacity is its core, the pixels at nearly that level, and an antialiased rim
 * about one pixel wide around it. Opacity farther than `rim` px from the core is image detail the
 * mask DIP took for mark (a faint veil over dark areas, a highlight or bright edge that a white
 * mark fits) and is dropped: the solve would turn it into a dark trace.
 * The core is also opened by a `thickness` square: a line of "core" one pixel wide is the mask
 * DIP tracing an image edge (the cup's rim, a highlight), not a stroke. A mark in a thin font is
 * not opened (coreThickness).
 */
export function keepNearCore(alpha: Image, level: number, rim: number, fraction = CORE_FRACTION, thickness = CORE_THICKNESS): Image {
  const near = dilate(markCore(alpha, level, fraction, thickness), 2 * rim + 1);
  return mapRows([alpha, near], 1, ([a, n], out) => { for (let i = 0; i < out.length; i++) out[i] = n[i] > 0.5 ? a[i] : 0; });
}

/** The share of the core that a `thickness` square must keep for the mark to count as drawn in thick strokes (see coreThickness). */
export const THICK_SHARE = 0.9;

/**
 * The size of the opening of the core: `thickness` if a square that size keeps at least
 * THICK_SHARE of the core (the mark is drawn in thick strokes, so a thinner line of core is an
 * image edge traced), else 1 (a thin font, whose strokes the opening would eat: on the authors'
 * fotolia demo, 2 px left "by Adobe" as a ghost).
 */
export function coreThickness(alpha: Image, level: number, thickness = CORE_THICKNESS, fraction = CORE_FRACTION): number {
  if (thickness <= 1) return 1;
  const count = (m: Image) => m.data.reduce((n, v) => n + (v > 0.5 ? 1 : 0), 0);
  const all = count(markCore(alpha, level, fraction, 1));
  return all > 0 && count(markCore(alpha, level, fraction, thickness)) >= THICK_SHARE * all ? thickness : 1;
}

/** The mark's core (1 / 0): opacity above `fraction` of the level, opened by a `thickness` square (see keepNearCore). */
export function markCore(alpha: Image, level: number, fraction = CORE_FRACTION, thickness = CORE_THICKNESS): Image {
  const core = createImage(alpha.width, alpha.height, 1);
  forEachStrip(alpha, (y0, y1) => {
    const a = rowsOf(alpha, y0, y1);
    for (let i = 0; i < a.length; i++) core.data[y0 * alpha.width + i] = a[i] > fraction * level ? 1 : 0;
  });
  return open(core, thickness);
}

/**
 * The mark's core set to its one opacity, within the bound (opacityBound): the mask DIP learns a
 * letter's inside below the level where the image behind it is bright (there the mark changes
 * the input little and the sparsity cost on m wins), and the solve then leaves a ghost of it.
 */
export function fillCore(alpha: Image, bound: Image, level: number, fraction = CORE_FRACTION, thickness = CORE_THICKNESS): Image {
  const core = markCore(alpha, level, fraction, thickness);
  return mapRows([alpha, core, bound], 1, ([a, k, b], out) => { for (let i = 0; i < out.length; i++) out[i] = k[i] > 0.5 ? Math.min(level, b[i]) : a[i]; });
}

/**
 * The most opacity a mark of colour W can have at each pixel. I = a W + (1 - a) C with the clean
 * image C in [0, 1] gives, for every channel c, a <= I_c / W_c (C_c >= 0) and
 * a <= (1 - I_c) / (1 - W_c) (C_c <= 1). For a white mark: a <= min_c I_c, so a dark pixel cannot
 * hold a strong white mark. The mask DIP breaks this where it takes an image edge for mark (a
 * dark saucer rim beside a bright one); capped, such a pixel falls out of the mark's core and
 * keepNearCore drops it.
 */
export function opacityBound(input: Image, colour: [number, number, number]): Image {
  return mapRows([input], 1, ([I], out) => {
    for (let i = 0; i < out.length; i++) {
      let bound = 1;
      for (let c = 0; c < 3; c++) {
        const v = I[i * 3 + c], w = colour[c];
        if (w > 0) bound = Math.min(bound, v / w);
        if (w < 1) bound = Math.min(bound, (1 - v) / (1 - w));
      }
      out[i] = Math.max(0, bound);
    }
  });
}

/** Guided-filter refinement of the opacity, in working-size pixels: radius, and eps (see followMarkEdges). */
export const EDGE_RADIUS = 2;
export const EDGE_EPS = 1e-4;

/**
 * The opacity made to follow the mark's edges as they show in the input: He et al.'s guided filter
 * with the input as guide (the filter was made for such feathering), so the mask DIP's blurred
 * rim, which the solve turns into a dark outline, snaps to the letters.
 */
export function followMarkEdges(input: Image, alpha: Image, level: number, radius: number, eps = EDGE_EPS): Image {
  const out = guidedFilter(input, alpha, radius, eps);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(level, Math.max(0, out.data[i]));
  return out;
}
