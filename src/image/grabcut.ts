// GrabCut (Rother, Kolmogorov & Blake 2004) with colour histograms for its two colour models:
// label every pixel not known to be background by a minimum cut of
//   sum_i -log P(colour_i | label_i) + gamma * sum_{i~j, labels differ} exp(-beta |z_i - z_j|^2),
// re-estimate the two models from the labelling, repeat. The edge term puts the boundary on
// colour edges. grabCutHints turns the labelling into hints for the DIPs, leaving a band
// along the cut unknown: the cut is sure of regions, less of their exact rim.
import { createImage, type Image } from './image.js';
import { colourBins, histogram } from './colour-model.js';
import { minCut } from './graph-cut.js';
import { dilate } from './morphology.js';

export interface GrabCutOptions {
  /** Cut / re-estimate rounds (GrabCut converges in a few). */
  iterations?: number;
  /**
   * Weight of the edge term (colours in 0..255, costs in nats). GrabCut's 50 is for its GMMs; with
   * these histograms 25 measured best (bench/quality box IoU of the cut alone, horse / VOC:
   * 10: 0.89 / 0.50, 25: 0.95 / 0.53, 50: 0.91 / 0.50).
   */
  gamma?: number;
  /** Whether the given fg pixels are certain (a user's mask) or only start the fg model. */
  keepFg?: boolean;
  /** First colour models: from everything not known to be bg ('box', GrabCut's) or from the hints alone. */
  start?: 'box' | 'hints';
  /**
   * With start 'hints': how likely each pixel is foreground, 0..1 (equalised saliency), at the
   * image's size. The first models then weigh every unhinted pixel by it (fg) and by 1 - it (bg):
   * saliency's extremes alone leave the bg model a strip of border colours, and the first cut
   * gives the fg every other background colour (dev set, docs/benchmarks.md).
   */
  prior?: Image;
  /**
   * How likely each pixel is in focus, 0..1 (focus.ts's focusMap), at the image's size: a third
   * term of every cut, -focusWeight * log P(label | focus), where colour alone cannot tell the object from a
   * defocused background of its colours.
   */
  focus?: Image;
  focusWeight?: number;
}

/**
 * GrabCut's edge term: the cost of a label change between neighbours i and j,
 * gamma * exp(-beta |z_i - z_j|^2), colours in 0..255, beta = 1 / (2 <|z_i - z_j|^2>) over
 * neighbouring pairs, so it is high inside flat regions and low across colour edges.
 */
export function contrastEdges(img: Image, gamma: number): (i: number, j: number) => number {
  const { width: w, height: h } = img;
  const c = img.channels;
  const z = (i: number, k: number) => img.data[i * c + (c === 1 ? 0 : k)] * 255;
  const dist2 = (i: number, j: number) => (z(i, 0) - z(j, 0)) ** 2 + (z(i, 1) - z(j, 1)) ** 2 + (z(i, 2) - z(j, 2)) ** 2;
  let sum = 0, pairs = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (x + 1 < w) { sum += dist2(i, i + 1); pairs++; }
    if (y + 1 < h) { sum += dist2(i, i + w); pairs++; }
  }
  const beta = 1 / (2 * Math.max(sum / Math.max(pairs, 1), 1e-6));
  return (i, j) => gamma * Math.exp(-beta * dist2(i, j));
}

/** The GrabCut labelling (1-channel, 1 = fg). Given bg pixels always stay bg. */
export function grabCut(img: Image, fg: Image, bg: Image, o: GrabCutOptions = {}): Image {
  const { iterations = 5, gamma = 25, keepFg = false, start = 'box', prior, focus, focusWeight = 1 } = o;
  const { width: w, height: h } = img;
  const n = w * h;
  const bin = colourBins(img);
  const pair = contrastEdges(img, gamma);
  const isBg = (i: number) => bg.data[i] > 0.5, isFg = (i: number) => fg.data[i] > 0.5;
  // The first models. 'box' (GrabCut's start): fg is every pixel not known to be bg, given fg
  // counted double. 'hints': each model from its own hints only, the unknown pixels undecided.
  let label: Uint8Array = new Uint8Array(n);
  for (let i = 0; i < n; i++) label[i] = isBg(i) ? 0 : 1;
  if (prior && (prior.width !== w || prior.height !== h || prior.channels !== 1))
    throw new Error(`grabCut: the prior is ${prior.width}x${prior.height}x${prior.channels} but the image is ${w}x${h}: give a 1-channel map at the image's size.`);
  const p = start === 'hints' && prior ? prior.data : null;
  if (focus && (focus.width !== w || focus.height !== h || focus.channels !== 1))
    throw new Error(`grabCut: the focus map is ${focus.width}x${focus.height}x${focus.channels} but the image is ${w}x${h}: give a 1-channel map at the image's size.`);
  const q = focus ? focus.data : null;
  let fgWeight = Float32Array.from(label, (v, i) => (isFg(i) ? 2 : start === 'box' ? v : p ? p[i] : 0));
  let bgWeight = Float32Array.from(label, (v, i) => (p && !isBg(i) ? 1 - p[i] : 1 - v));
  for (let it = 0; it < iterations; it++) {
    if (it > 0) bgWeight = Float32Array.from(label, (v) => 1 - v);
    const hf = histogram(bin, fgWeight), hb = histogram(bin, bgWeight);
    const fgCost = new Float32Array(n), bgCost = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (isBg(i)) { fgCost[i] = Infinity; continue; }
      if (keepFg && isFg(i)) { bgCost[i] = Infinity; continue; }
      fgCost[i] = -Math.log(hf[bin[i]]);
      bgCost[i] = -Math.log(hb[bin[i]]);
      if (q) {
        fgCost[i] -= focusWeight * Math.log(Math.max(q[i], 1e-3));
        bgCost[i] -= focusWeight * Math.log(Math.max(1 - q[i], 1e-3));
      }
    }
    const next = minCut({ width: w, height: h, fgCost, bgCost, pair });
    let changed = 0;
    for (let i = 0; i < n; i++) changed += next[i] !== label[i] ? 1 : 0;
    label = next;
    fgWeight = Float32Array.from(label);
    if (changed === 0) break;
  }
  const out = createImage(w, h, 1);
  for (let i = 0; i < n; i++) out.data[i] = label[i];
  return out;
}

/**
 * Hints from the GrabCut labelling: fg and bg pixels farther than `band` px from the other label
 * (given bg always stays bg; a user's fg too with keepFg). If the cut finds no foreground,
 * colour could not tell the object apart: the given hints are returned unchanged.
 */
export function grabCutHints(img: Image, fg: Image, bg: Image, o: GrabCutOptions & { band?: number } = {}): { fg: Image; bg: Image } {
  const { width: w, height: h } = img;
  const band = o.band ?? Math.max(2, Math.round(Math.min(w, h) / 64));
  const label = grabCut(img, fg, bg, o);
  if (!label.data.some((v) => v === 1)) return { fg, bg };
  // Within `band` px of a label: a (2 band + 1) square dilation of that label.
  const nearFg = dilate(label, 2 * band + 1).data;
  const nearBg = dilate({ ...label, data: label.data.map((v) => 1 - v) }, 2 * band + 1).data;
  const outFg = createImage(w, h, 1), outBg = createImage(w, h, 1);
  for (let i = 0; i < w * h; i++) {
    if (bg.data[i] > 0.5 || (label.data[i] === 0 && !nearFg[i])) outBg.data[i] = 1;
    else if ((o.keepFg && fg.data[i] > 0.5) || (label.data[i] === 1 && !nearBg[i])) outFg.data[i] = 1;
  }
  return { fg: outFg, bg: outBg };
}

