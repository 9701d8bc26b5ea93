// Binary morphology on 1-channel masks (> 0.5 is in): k x k square structuring elements, any k.
// An even k has no centre; erode and dilate use mirrored windows so that dilate(erode(S)) is the
// exact opening: the union of every k x k square that fits inside S.
import { createImage, type Image } from './image.js';

/** 1 where the k x k square anchored at the pixel (offsets -floor((k-1)/2) .. ceil((k-1)/2)) lies inside the mask. */
export function erode(mask: Image, k: number): Image {
  const lo = Math.floor((k - 1) / 2);
  return squareFilter(mask, -lo, k - 1 - lo, true);
}

/** 1 where the mirrored k x k square around the pixel touches the mask. */
export function dilate(mask: Image, k: number): Image {
  const lo = Math.floor((k - 1) / 2);
  return squareFilter(mask, -(k - 1 - lo), lo, false);
}

/** The mask less its parts thinner than k pixels: every k x k square that fits inside it. */
export function open(mask: Image, k: number): Image {
  return dilate(erode(mask, k), k);
}

/** all (erode) or any (dilate) of the mask over offsets [from, to] in x and y; outside the image counts as in for all, out for any. */
function squareFilter(mask: Image, from: number, to: number, all: boolean): Image {
  const { width: w, height: h } = mask;
  if (mask.channels !== 1) throw new Error(`morphology works on 1-channel masks, got ${mask.channels} channels`);
  // Separable: rows, then columns (in bytes: the masks may be full-resolution).
  const pass = (src: ArrayLike<number>, dx: number, dy: number): Uint8Array => {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let v = all;
      for (let o = from; o <= to; o++) {
        const xx = x + o * dx, yy = y + o * dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const inside = src[yy * w + xx] > 0.5;
        if (all ? !inside : inside) { v = !all; break; }
      }
      out[y * w + x] = v ? 1 : 0;
    }
    return out;
  };
  const out = createImage(w, h, 1);
  out.data.set(pass(pass(mask.data, 1, 0), 0, 1));
  return out;
}
