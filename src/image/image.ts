// A host-side image: interleaved HWC float32 in [0, 1]. Everything outside the tensor
// engine (file I/O, saliency, guided filter, dark channel) speaks this one type. Full-resolution
// images are mostly LazyImages (lazy-image.ts), made a strip of rows at a time when read.
import { LazyImage, mapRows, rowsOf } from './lazy-image.js';
export interface Image {
  width: number;
  height: number;
  channels: number; // 1 (grey) or 3 (RGB); alpha is dropped on read
  data: Float32Array; // length = width * height * channels, row-major, channel-interleaved
}

export function createImage(width: number, height: number, channels: number, fill = 0): Image {
  const data = new Float32Array(width * height * channels);
  if (fill !== 0) data.fill(fill);
  return { width, height, channels, data };
}

/** A width x height image of one colour (one value per channel). */
export function colourImage(width: number, height: number, colour: readonly number[]): Image {
  const img = createImage(width, height, colour.length);
  for (let i = 0; i < img.data.length; i++) img.data[i] = colour[i % colour.length];
  return img;
}

/** Per-pixel, per-channel median of images of one size (lazy if any of them is). */
export function median(images: Image[]): Image {
  const [a] = images;
  const v = new Float32Array(images.length);
  const make = (rows: Float32Array[], out: Float32Array) => {
    for (let i = 0; i < out.length; i++) {
      rows.forEach((r, k) => { v[k] = r[i]; });
      v.sort();
      const n = v.length;
      out[i] = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
  };
  if (images.some((img) => img instanceof LazyImage)) return mapRows(images, a.channels, make);
  const out = createImage(a.width, a.height, a.channels);
  make(images.map((img) => img.data), out.data);
  return out;
}

/** Pixel value at (x, y), channel c. */
export function at(img: Image, x: number, y: number, c = 0): number {
  return img.data[(y * img.width + x) * img.channels + c];
}

/** A pixel rectangle. */
export interface Rect { x: number; y: number; width: number; height: number }

/** The pixels of `img` inside r (r must lie inside the image); lazy if img is. */
export function crop(img: Image, r: Rect): Image {
  const c = img.channels, row = r.width * c;
  const make = (y0: number, y1: number) => {
    const src = rowsOf(img, r.y + y0, r.y + y1), out = new Float32Array((y1 - y0) * row);
    for (let y = 0; y < y1 - y0; y++) {
      const from = (y * img.width + r.x) * c;
      out.set(src.subarray(from, from + row), y * row);
    }
    return out;
  };
  const out = new LazyImage(r.width, r.height, c, make);
  return img instanceof LazyImage ? out : { width: r.width, height: r.height, channels: c, data: out.data };
}

/** A copy of `into` with `img` written at (x, y) (same channels; img must fit inside); lazy if either is. */
export function paste(into: Image, img: Image, x: number, y: number): Image {
  const c = into.channels, row = img.width * c;
  const make = (y0: number, y1: number) => {
    const out = rowsOf(into, y0, y1).slice();
    const from = Math.max(y0, y), to = Math.min(y1, y + img.height);
    if (from < to) {
      const src = rowsOf(img, from - y, to - y);
      for (let j = from; j < to; j++) out.set(src.subarray((j - from) * row, (j - from + 1) * row), ((j - y0) * into.width + x) * c);
    }
    return out;
  };
  const out = new LazyImage(into.width, into.height, c, make);
  return into instanceof LazyImage || img instanceof LazyImage ? out : { ...into, data: out.data };
}

/** A new image of the first's shape, pixel value by value: out[i] = f([a[i], b[i], ...]). */
export function mapPixels(images: Image[], f: (values: number[]) => number): Image {
  const [first] = images;
  const out = createImage(first.width, first.height, first.channels);
  const values = new Array<number>(images.length);
  for (let i = 0; i < out.data.length; i++) {
    for (let k = 0; k < images.length; k++) values[k] = images[k].data[i];
    out.data[i] = f(values);
  }
  return out;
}

/** The mean of each channel over all pixels. */
export function channelMeans(img: Image): number[] {
  const sums = new Array<number>(img.channels).fill(0);
  for (let i = 0; i < img.data.length; i++) sums[i % img.channels] += img.data[i];
  return sums.map((s) => s / (img.width * img.height));
}
