// Histogram equalisation on 256 levels, as OpenCV's equalizeHist: spreads a map's values evenly,
// so that thresholds on it select a share of the pixels (the saliency hints, saliency.ts).
import { createImage, type Image } from './image.js';
import { forEachStrip, rowsOf } from './lazy-image.js';

/**
 * Histogram equalisation of a 1-channel image on 256 levels, as OpenCV's equalizeHist does
 * on 8-bit images (values are quantised to k/255 first; the lowest level present maps to 0,
 * the highest to 1). A constant image is returned quantised but unchanged.
 */
export function histogramEqualise(img: Image): Image {
  const lut = equalisation(img);
  const out = createImage(img.width, img.height, 1);
  for (let i = 0; i < out.data.length; i++) out.data[i] = lut[level(img.data[i])];
  return out;
}

/** The 256-level value of v in [0, 1]. */
export const level = (v: number) => (v > 0 ? Math.round(Math.min(v, 1) * 255) : 0);

/** histogramEqualise's table: equalised value by level. */
export function equalisation(img: Image): Float32Array {
  if (img.channels !== 1) {
    throw new Error(`histogramEqualise: image has ${img.channels} channels. Pass a 1-channel image (use toGrey()).`);
  }
  const n = img.width * img.height;
  const hist = new Float64Array(256);
  forEachStrip(img, (y0, y1) => {
    for (const v of rowsOf(img, y0, y1)) hist[level(v)]++;
  });
  let cdfMin = 0;
  for (let k = 0; k < 256; k++) {
    if (hist[k] > 0) {
      cdfMin = hist[k];
      break;
    }
  }
  const lut = new Float32Array(256);
  let cdf = 0;
  for (let k = 0; k < 256; k++) {
    cdf += hist[k];
    lut[k] = n === cdfMin ? k / 255 : Math.round(((cdf - cdfMin) * 255) / (n - cdfMin)) / 255;
  }
  return lut;
}
