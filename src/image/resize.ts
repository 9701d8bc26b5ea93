// Resampling and channel conversion for host images.
//
// Resizing is separable: each axis is resampled with a small list of (source index, weight)
// taps per output coordinate. Enlarging and shrinking by up to 2x use bilinear taps (pixel
// centres at i + 0.5, edges clamped). Shrinking by more than 2x would make bilinear skip source
// pixels and alias, so there each output pixel is the area-weighted average of the source
// pixels it covers (a box prefilter folded into the resampling).
import { createImage, type Image } from './image.js';
import { LazyImage, forEachStrip, mapRows, rowsOf } from './lazy-image.js';

interface Taps {
  start: Int32Array; // offset of output i's taps in index/weight
  count: Int32Array;
  index: Int32Array; // source coordinate of each tap
  weight: Float32Array; // weights per output sum to 1
}

/** Resize to width x height (bilinear; area averaging when shrinking by more than 2x). */
export function resizeImage(img: Image, width: number, height: number): Image {
  return { width, height, channels: img.channels, data: resizeLazily(img, width, height).data };
}

/**
 * resizeImage as a lazy image, for full-resolution outputs: the source is read (a strip at a time)
 * and resampled across when this is made, the rows are resampled down when read. A source of the
 * same size is read when rows are, so it must not change afterwards.
 */
export function resizeLazily(img: Image, width: number, height: number): LazyImage {
  checkImage(img, 'resizeImage');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(
      `resizeImage: target size ${width}x${height} is invalid. Pass positive integer width and height.`,
    );
  }
  const c = img.channels;
  if (width === img.width && height === img.height) return new LazyImage(width, height, c, (y0, y1) => rowsOf(img, y0, y1).slice());
  const tx = axisTaps(img.width, width);
  const ty = axisTaps(img.height, height);

  // Horizontal pass: img.height rows of `width` pixels, the source read a strip of rows at a time.
  const mid = new Float32Array(width * img.height * c);
  forEachStrip(img, (s0, s1) => {
    const src = rowsOf(img, s0, s1);
    for (let y = s0; y < s1; y++) {
      const srcRow = (y - s0) * img.width * c;
      const dstRow = y * width * c;
      for (let x = 0; x < width; x++) {
        const s = tx.start[x];
        const n = tx.count[x];
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc += tx.weight[s + k] * src[srcRow + tx.index[s + k] * c + ch];
          mid[dstRow + x * c + ch] = acc;
        }
      }
    }
  });

  // Vertical pass, for the rows asked for: whole rows at once, so memory is walked in order.
  const rowLen = width * c;
  return new LazyImage(width, height, c, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * rowLen);
    for (let y = y0; y < y1; y++) {
      const s = ty.start[y];
      const n = ty.count[y];
      const dst = (y - y0) * rowLen;
      for (let k = 0; k < n; k++) {
        const w = ty.weight[s + k];
        const src = ty.index[s + k] * rowLen;
        for (let i = 0; i < rowLen; i++) out[dst + i] += w * mid[src + i];
      }
    }
    return out;
  });
}

/** Taps that resample an axis of `src` pixels to `dst` pixels. */
function axisTaps(src: number, dst: number): Taps {
  const scale = src / dst; // source pixels per output pixel
  const index: number[] = [];
  const weight: number[] = [];
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  for (let i = 0; i < dst; i++) {
    start[i] = index.length;
    if (scale > 2) {
      // Area average: output pixel i covers source interval [i*scale, (i+1)*scale).
      const lo = i * scale;
      const hi = Math.min(src, (i + 1) * scale);
      for (let k = Math.floor(lo); k < hi; k++) {
        const cover = Math.min(hi, k + 1) - Math.max(lo, k);
        if (cover > 1e-9) {
          index.push(k);
          weight.push(cover / (hi - lo));
        }
      }
    } else {
      // Bilinear: sample the source at the output pixel's centre.
      const pos = Math.min(src - 1, Math.max(0, (i + 0.5) * scale - 0.5));
      const k0 = Math.floor(pos);
      const k1 = Math.min(src - 1, k0 + 1);
      const f = pos - k0;
      index.push(k0);
      weight.push(1 - f);
      if (f > 0 && k1 !== k0) {
        index.push(k1);
        weight.push(f);
      }
    }
    count[i] = index.length - start[i];
  }
  return { start, count, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/**
 * Size that keeps the aspect ratio and makes the long side at most `longSide`.
 * Never enlarges: an image already small enough keeps its size.
 */
export function fitLongSide(width: number, height: number, longSide: number): { width: number; height: number } {
  if (!(width >= 1) || !(height >= 1) || !(longSide >= 1)) {
    throw new Error(
      `fitLongSide: got ${width}x${height} with long side ${longSide}. Pass positive width, height and longSide.`,
    );
  }
  const long = Math.max(width, height);
  if (long <= longSide) return { width, height };
  const s = longSide / long;
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/** One-channel luma (ITU-R BT.601 weights, as PIL's convert('L')). Grey input is copied. A lazy image gives a lazy one. */
export function toGrey(img: Image): Image {
  checkImage(img, 'toGrey');
  if (img instanceof LazyImage) return mapRows([img], 1, ([d], out) => grey(d, img.channels, out));
  if (img.channels === 1) return { ...img, data: img.data.slice() };
  const out = createImage(img.width, img.height, 1);
  grey(img.data, 3, out.data);
  return out;
}

function grey(d: Float32Array, channels: number, out: Float32Array): void {
  if (channels === 1) out.set(d);
  else for (let i = 0, j = 0; i < out.length; i++, j += 3) out[i] = 0.299 * d[j] + 0.587 * d[j + 1] + 0.114 * d[j + 2];
}

/** Three-channel copy; grey is replicated into R, G and B. RGB input is copied. A lazy image gives a lazy one. */
export function toRgb(img: Image): Image {
  checkImage(img, 'toRgb');
  if (img instanceof LazyImage) return mapRows([img], 3, ([d], out) => rgb(d, img.channels, out));
  if (img.channels === 3) return { ...img, data: img.data.slice() };
  const out = createImage(img.width, img.height, 3);
  rgb(img.data, 1, out.data);
  return out;
}

function rgb(d: Float32Array, channels: number, out: Float32Array): void {
  if (channels === 3) out.set(d);
  else for (let i = 0, j = 0; j < out.length; i++, j += 3) out[j] = out[j + 1] = out[j + 2] = d[i];
}

function checkImage(img: Image, fn: string): void {
  if (img.channels !== 1 && img.channels !== 3) {
    throw new Error(`${fn}: image has ${img.channels} channels. Pass a 1-channel (grey) or 3-channel (RGB) image.`);
  }
  if (!(img instanceof LazyImage) && img.data.length !== img.width * img.height * img.channels) {
    throw new Error(
      `${fn}: image data has ${img.data.length} values but ${img.width}x${img.height}x${img.channels} needs ` +
        `${img.width * img.height * img.channels}. Build images with createImage().`,
    );
  }
}
