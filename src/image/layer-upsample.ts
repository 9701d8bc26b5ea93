// One image's layers brought from the DIPs' working size to the input's.
//
// Each layer is upsampled and guided filtered with the input as the guide (joint upsampling: the
// layer is locally a linear function of the input, so the input's edges come back where the layer
// follows it and stay out where it does not). What the two still miss of the input, R = I - sum_k
// w_k Y_k, is added to both, R / sum_k w_k each, so that the layers mix back to the input exactly.
import type { Image } from './image.js';
import { guidedFilter } from './guided-filter.js';
import { resizeLazily } from './resize.js';

/**
 * The layers (at the working size) at the input's size. `weights`: each layer's share of the
 * mixture (blend: m, 1 - m; sum: 1, 1). `radius`: the guided filter's window half-size in working
 * pixels (scaled by the upsampling factor), `eps` its regulariser.
 */
export function layersAtSize(input: Image, layers: Image[], weights: number[], radius: number, eps: number): Image[] {
  if (input.channels !== 3 || layers.some((l) => l.channels !== 3)) throw new Error('layersAtSize: the input and the layers must be RGB');
  const { width, height } = input;
  const scale = Math.max(width / layers[0].width, height / layers[0].height);
  const r = Math.max(1, Math.round(radius * scale));
  const out = layers.map((l) => guidedFilter(input, resizeLazily(l, width, height), r, eps));
  const total = weights.reduce((s, w) => s + w, 0);
  const I = input.data, n = width * height * 3;
  for (let i = 0; i < n; i++) {
    let mixed = 0;
    for (let k = 0; k < out.length; k++) mixed += weights[k] * out[k].data[i];
    const share = (I[i] - mixed) / total;
    for (const o of out) o.data[i] = Math.min(1, Math.max(0, o.data[i] + share));
  }
  return out;
}
