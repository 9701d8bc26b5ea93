// Small image builders shared by the host-side image tests.
import { createImage, type Image } from '../../src/image/image.js';

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A w x h image with c channels whose values are f(x, y, channel). */
export function image(w: number, h: number, c: number, f: (x: number, y: number, ch: number) => number): Image {
  const img = createImage(w, h, c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) img.data[(y * w + x) * c + ch] = f(x, y, ch);
  return img;
}
