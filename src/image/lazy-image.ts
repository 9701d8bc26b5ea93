// Full-resolution images made a strip of rows at a time.
//
// A 24 MP photo as a float RGB Image is 288 MB, and a task's outputs are several of them: made and
// held at once they took the CLI to 6.5 GB. A LazyImage holds only what makes it (the 8-bit pixels
// as decoded, a small image to upsample, the images it is computed from) and makes rows when they
// are read. Work at full resolution reads any image a strip at a time (rowsOf, forEachStrip), so
// the float copies that exist at once are a few strips; PNGs are encoded the same way.
//
// A LazyImage is an Image: reading `data` makes the whole image, once, and keeps it (the library's
// API, and small images). Code that handles full-resolution images reads rows instead.
import type { Image } from './image.js';

/** Makes rows [y0, y1) of an image: (y1 - y0) * width * channels values, interleaved. */
export type MakeRows = (y0: number, y1: number) => Float32Array;

export class LazyImage implements Image {
  #make: MakeRows | null;
  #data: Float32Array | null = null;

  constructor(readonly width: number, readonly height: number, readonly channels: number, make: MakeRows) {
    this.#make = make;
  }

  /** Rows [y0, y1), interleaved. Made afresh on each call until `data` has been read; do not write into them. */
  rows(y0: number, y1: number): Float32Array {
    if (this.#data) return this.#data.subarray(y0 * this.width * this.channels, y1 * this.width * this.channels);
    return this.#make!(y0, y1);
  }

  /** The whole image in memory, made a strip at a time on first use and kept; what made it is let go. */
  get data(): Float32Array {
    if (!this.#data) {
      const data = new Float32Array(this.width * this.height * this.channels);
      forEachStrip(this, (y0, y1) => data.set(this.#make!(y0, y1), y0 * this.width * this.channels));
      this.#data = data;
      this.#make = null;
    }
    return this.#data;
  }
}

/** Values in one strip of rows: about 4 MB of float32, whatever the image's width. Results do not depend on it (tests make it small). */
export const strip = { values: 1 << 20 };

/** Rows per strip of an image `width` x `channels` wide. */
export function stripRows(img: { width: number; channels: number }): number {
  return Math.max(1, Math.floor(strip.values / (img.width * img.channels)));
}

/** Calls f(y0, y1) for consecutive strips of rows that cover the image, top to bottom. */
export function forEachStrip(img: { width: number; height: number; channels: number }, f: (y0: number, y1: number) => void): void {
  const step = stripRows(img);
  for (let y0 = 0; y0 < img.height; y0 += step) f(y0, Math.min(img.height, y0 + step));
}

/** Rows [y0, y1) of any image, interleaved: a view of a plain image's data, made by a lazy one. Do not write into them. */
export function rowsOf(img: Image, y0: number, y1: number): Float32Array {
  if (img instanceof LazyImage) return img.rows(y0, y1);
  return img.data.subarray(y0 * img.width * img.channels, y1 * img.width * img.channels);
}

/**
 * A lazy image computed strip by strip from the same rows of `inputs` (all of its size): `f` gets
 * their rows and fills `out`, the strip's (y1 - y0) * width * channels values. The inputs are read
 * when rows are, so they must not be changed afterwards.
 */
export function mapRows(inputs: Image[], channels: number, f: (rows: Float32Array[], out: Float32Array, y0: number, y1: number) => void): LazyImage {
  const [{ width, height }] = inputs;
  for (const img of inputs) {
    if (img.width !== width || img.height !== height) throw new Error(`mapRows: images of ${width}x${height} and ${img.width}x${img.height}: give images of one size`);
  }
  return new LazyImage(width, height, channels, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * width * channels);
    f(inputs.map((img) => rowsOf(img, y0, y1)), out, y0, y1);
    return out;
  });
}

/** A lazy width x height image of one colour (one value per channel). */
export function constantImage(width: number, height: number, colour: readonly number[]): LazyImage {
  const c = colour.length;
  return new LazyImage(width, height, c, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * width * c);
    for (let i = 0; i < out.length; i++) out[i] = colour[i % c];
    return out;
  });
}

/** The values of pixels `indices` (y * width + x, any order) of an image, read a strip at a time: channels values per index, in the order given. */
export function pixelsAt(img: Image, indices: ArrayLike<number>): Float32Array {
  const { width, channels: c } = img;
  const out = new Float32Array(indices.length * c);
  const order = Array.from({ length: indices.length }, (_, k) => k).sort((a, b) => indices[a] - indices[b]);
  const step = stripRows(img);
  let y0 = -1;
  let rows: Float32Array = new Float32Array(0);
  for (const k of order) {
    const y = Math.floor(indices[k] / width);
    if (y0 < 0 || y < y0 || y >= y0 + step) {
      y0 = y;
      rows = rowsOf(img, y, Math.min(img.height, y + step));
    }
    for (let ch = 0; ch < c; ch++) out[k * c + ch] = rows[(indices[k] - y0 * width) * c + ch];
  }
  return out;
}
