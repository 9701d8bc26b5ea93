// One image's layers brought from the DIPs' working size to the input's.
//
// Each layer is guided by the input (joint upsampling: the layer locally a linear function of the
// input, so the input's edges come back where the layer follows it and stay out where it does
// not). What the two still miss of the input, R = I - sum_k w_k Y_k, is added to both, R / sum_k
// w_k each, so that the layers mix back to the input exactly.
//
// The linear models are fitted at the working size, against the input brought down to it, and
// applied to the full-size input (the fast guided filter, He & Sun 2015): fitting at full size
// costs a colour guided filter of a 24 MP photo per layer and its memory. The layers are lazy,
// made a strip of rows at a time.
import type { Image } from './image.js';
import { guidedModel } from './guided-filter.js';
import { LazyImage, rowsOf } from './lazy-image.js';
import { resizeLazily } from './resize.js';
import { clamp01 } from './pixel.js';

/**
 * The layers (RGB, at the working size) at the RGB input's size. `small`: the input at the working
 * size, as the DIPs saw it (the full-size photo is not read twice). `weights`: each layer's share of
 * the mixture (blend: m, 1 - m; sum: 1, 1). `radius` (working pixels) and `eps`: the guided filter's.
 */
export function layersAtSize(input: Image, small: Image, layers: Image[], weights: number[], radius: number, eps: number): LazyImage[] {
  if ([input, small, ...layers].some((l) => l.channels !== 3)) throw new Error('layersAtSize: the input and the layers must be RGB');
  const { width, height } = input;
  // Per layer: its maps aR, aG, aB, b (RGB each), at full size when read.
  const models = layers.map((l) => guidedModel(small, l, radius, eps).map((map) => resizeLazily(map, width, height)));
  const total = weights.reduce((s, v) => s + v, 0), K = layers.length;

  /** Rows [y0, y1) of every layer. */
  const rowsOfLayers = (y0: number, y1: number): Float32Array[] => {
    const I = rowsOf(input, y0, y1), M = models.map((maps) => maps.map((map) => rowsOf(map, y0, y1)));
    const out = layers.map(() => new Float32Array(I.length));
    for (let i = 0; i < I.length; i++) {
      const p = i - (i % 3), r = I[p], g = I[p + 1], b = I[p + 2];
      let mixed = 0;
      for (let k = 0; k < K; k++) {
        const m = M[k];
        out[k][i] = m[0][i] * r + m[1][i] * g + m[2][i] * b + m[3][i];
        mixed += weights[k] * out[k][i];
      }
      const share = (I[i] - mixed) / total;
      for (let k = 0; k < K; k++) out[k][i] = clamp01(out[k][i] + share);
    }
    return out;
  };
  // Each layer's rows make all layers' (the share needs them): cheap next to reading the input.
  return layers.map((_, k) => new LazyImage(width, height, 3, (y0, y1) => rowsOfLayers(y0, y1)[k]));
}
