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

/** A square object on a textured background. */
export function squareScene(width: number, height: number): Image {
  const img = createImage(width, height, 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const inside = x > width * 0.3 && x < width * 0.7 && y > height * 0.3 && y < height * 0.7;
    const i = (y * width + x) * 3;
    img.data[i] = inside ? 0.9 : 0.2 + 0.1 * Math.sin(x / 3);
    img.data[i + 1] = inside ? 0.8 : 0.4;
    img.data[i + 2] = inside ? 0.1 : 0.6 + 0.1 * Math.cos(y / 4);
  }
  return img;
}
