// A host-side image: interleaved HWC float32 in [0, 1]. Everything outside the tensor
// engine (file I/O, saliency, guided filter, dark channel) speaks this one type.
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

/** Per-pixel, per-channel median of images of one size. */
export function median(images: Image[]): Image {
  const [a] = images;
  const out = createImage(a.width, a.height, a.channels);
  const v = new Float32Array(images.length);
  for (let i = 0; i < out.data.length; i++) {
    images.forEach((img, k) => { v[k] = img.data[i]; });
    v.sort();
    const n = v.length;
    out.data[i] = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  return out;
}

/** Pixel value at (x, y), channel c. */
export function at(img: Image, x: number, y: number, c = 0): number {
  return img.data[(y * img.width + x) * img.channels + c];
}

/** A pixel rectangle. */
export interface Rect { x: number; y: number; width: number; height: number }

/** The pixels of `img` inside r (r must lie inside the image). */
export function crop(img: Image, r: Rect): Image {
  const out = createImage(r.width, r.height, img.channels);
  const row = r.width * img.channels;
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * img.width + r.x) * img.channels;
    out.data.set(img.data.subarray(from, from + row), y * row);
  }
  return out;
}

/** A copy of `into` with `img` written at (x, y) (same channels; img must fit inside). */
export function paste(into: Image, img: Image, x: number, y: number): Image {
  const out = { ...into, data: into.data.slice() };
  const row = img.width * img.channels;
  for (let j = 0; j < img.height; j++) out.data.set(img.data.subarray(j * row, (j + 1) * row), ((y + j) * into.width + x) * into.channels);
  return out;
}
