// Foreground/background hints for segmentation: automatic (saliency), a user mask, or a box.
import type { Image } from '../image/image.js';
import { LazyImage, forEachStrip, mapRows, rowsOf } from '../image/lazy-image.js';
import { saliencyHints, saliencyMap } from '../image/saliency.js';
import { MAX_SIZE, OptionError, optionFromText } from './options.js';

export interface Hints { fg: Image; bg: Image; source: 'saliency' | 'mask' | 'box' }
export interface Box { x: number; y: number; width: number; height: number }

/** Automatic hints: the authors thresholded an external saliency map; we compute our own. */
export function saliencyHintsFor(img: Image): Hints {
  return { ...saliencyHints(saliencyMap(img)), source: 'saliency' };
}

/** A user hint image: white = foreground, black = background, grey = unknown. */
export function hintsFromMask(mask: Image, width: number, height: number): Hints {
  if (mask.width !== width || mask.height !== height)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', mask, (n) => `The ${n('hint')} mask is ${mask.width}x${mask.height} but the image is ${width}x${height}: draw the hint at the image's size.`);
  const grey = (rows: Float32Array, i: number) => {
    let v = 0;
    for (let c = 0; c < mask.channels; c++) v += rows[i * mask.channels + c];
    return v / mask.channels;
  };
  let nf = 0, nb = 0;
  forEachStrip(mask, (y0, y1) => {
    const rows = rowsOf(mask, y0, y1);
    for (let i = 0; i < (y1 - y0) * width; i++) { const v = grey(rows, i); if (v > 0.9) nf++; else if (v < 0.1) nb++; }
  });
  if (nf === 0 || nb === 0)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', mask, (n) => `The ${n('hint')} mask needs both white (foreground) and black (background) pixels; it has ${nf} white and ${nb} black.`);
  // Lazy, as the mask (full-resolution maps, read a strip at a time when resized to the working size).
  const fg = mapRows([mask], 1, ([rows], out) => { for (let i = 0; i < out.length; i++) out[i] = grey(rows, i) > 0.9 ? 1 : 0; });
  const bg = mapRows([mask], 1, ([rows], out) => { for (let i = 0; i < out.length; i++) out[i] = grey(rows, i) < 0.1 ? 1 : 0; });
  return { fg, bg, source: 'mask' };
}

/** A box around the object: outside is background, the box's inner half is foreground (lazy full-resolution maps). */
export function hintsFromBox(box: Box, width: number, height: number): Hints {
  assertBoxInside(box, width, height);
  if (box.width * box.height >= width * height)
    throw new OptionError('ERR_OPTION_RANGE', 'box', box, (n) => `The ${n('box')} covers the whole image, so nothing is known to be background: draw it tighter around the object.`);
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const map = (value: (inside: boolean, core: boolean) => boolean) => new LazyImage(width, height, 1, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * width);
    for (let y = y0; y < y1; y++) for (let x = 0; x < width; x++) {
      const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      const core = Math.abs(x + 0.5 - cx) < box.width / 4 && Math.abs(y + 0.5 - cy) < box.height / 4;
      if (value(inside, core)) out[(y - y0) * width + x] = 1;
    }
    return out;
  });
  return { fg: map((inside, core) => inside && core), bg: map((inside) => !inside), source: 'box' };
}

/** Box given as "X,Y,W,H" (pixels); throws OptionError. */
export function parseBox(s: string): Box {
  return optionFromText('box', s) as Box;
}

export function assertBoxInside(b: Box, width: number, height: number): void {
  if (b.width <= 0 || b.height <= 0)
    throw new OptionError('ERR_OPTION_RANGE', 'box', b, (n) => `The ${n('box')} ${b.x},${b.y},${b.width},${b.height} has no area: width and height must be positive.`);
  if (b.x < 0 || b.y < 0 || b.x + b.width > width || b.y + b.height > height)
    throw new OptionError('ERR_OPTION_RANGE', 'box', b, (n) => `The ${n('box')} ${b.x},${b.y},${b.width},${b.height} lies outside the ${width}x${height} image: ` +
      `it must fit within x in [0, ${width}) and y in [0, ${height}).`);
}

/**
 * Fewest pixels of the working size the box's foreground core (its inner half, hintsFromBox) must
 * span on each side: two, so that at least one working pixel lies wholly inside it and stays
 * foreground when the hints are resized and thresholded (workingHints).
 */
export const MIN_CORE_PIXELS = 2;

/** Input pixels of the core of a box side of n pixels, as hintsFromBox marks it (a 2 px side has none). */
const coreSpan = (n: number): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (Math.abs(i + 0.5 - n / 2) < n / 4) k++;
  return k;
};

/**
 * Refuses a box whose foreground core would vanish at the working size, with the smallest box
 * that works at this size and the size that would make this box work. `working(size)` is the
 * task's working size for the image at a given --size.
 */
export function checkBoxAtWorkingSize(b: Box, width: number, height: number, size: number,
  working: (size: number) => { width: number; height: number }): void {
  const fits = (s: number, bw = b.width, bh = b.height) => {
    const w = working(s);
    return coreSpan(bw) * (w.width / width) >= MIN_CORE_PIXELS && coreSpan(bh) * (w.height / height) >= MIN_CORE_PIXELS;
  };
  if (fits(size)) return;
  const w = working(size);
  let minW = b.width, minH = b.height;
  while (minW < width && coreSpan(minW) * (w.width / width) < MIN_CORE_PIXELS) minW++;
  while (minH < height && coreSpan(minH) * (w.height / height) < MIN_CORE_PIXELS) minH++;
  let enough: number | undefined;
  for (let s = size + 1; s <= MAX_SIZE && enough === undefined; s++) if (fits(s)) enough = s;
  const core = (side: number, scale: number) => Math.round(coreSpan(side) * scale * 10) / 10;
  throw new OptionError('ERR_OPTION_RANGE', 'box', b, (n) => `The ${n('box')} ${b.x},${b.y},${b.width},${b.height} is too small at the working size: ` +
    `the ${width}x${height} image is processed at ${w.width}x${w.height} (${n('size')} ${size}), where the box's inner half, taken as foreground, ` +
    `spans ${core(b.width, w.width / width)}x${core(b.height, w.height / height)} px and needs at least ${MIN_CORE_PIXELS}x${MIN_CORE_PIXELS}. ` +
    `Draw a box at least ${minW}x${minH} pixels` +
    (enough !== undefined ? `, or raise ${n('size')} to ${enough}.` : '.'));
}

/** A 1-channel image that is 1 inside the box (lazy: made a strip of rows at a time when read). */
export function boxMask(box: Box, width: number, height: number): Image {
  assertBoxInside(box, width, height);
  return new LazyImage(width, height, 1, (y0, y1) => {
    const out = new Float32Array((y1 - y0) * width);
    for (let y = Math.max(y0, box.y); y < Math.min(y1, box.y + box.height); y++) out.fill(1, (y - y0) * width + box.x, (y - y0) * width + box.x + box.width);
    return out;
  });
}
