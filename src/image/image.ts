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

/** Pixel value at (x, y), channel c. */
export function at(img: Image, x: number, y: number, c = 0): number {
  return img.data[(y * img.width + x) * img.channels + c];
}
