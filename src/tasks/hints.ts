// Foreground/background hints for segmentation: automatic (saliency), a user mask, or a box.
import { createImage, type Image } from '../image/image.js';
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
  const fg = createImage(width, height, 1), bg = createImage(width, height, 1);
  let nf = 0, nb = 0;
  for (let i = 0; i < width * height; i++) {
    let v = 0;
    for (let c = 0; c < mask.channels; c++) v += mask.data[i * mask.channels + c];
    v /= mask.channels;
    if (v > 0.9) { fg.data[i] = 1; nf++; } else if (v < 0.1) { bg.data[i] = 1; nb++; }
  }
  if (nf === 0 || nb === 0)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', mask, (n) => `The ${n('hint')} mask needs both white (foreground) and black (background) pixels; it has ${nf} white and ${nb} black.`);
  return { fg, bg, source: 'mask' };
}

/** A box around the object: outside is background, the box's inner half is foreground. */
export function hintsFromBox(box: Box, width: number, height: number): Hints {
  assertBoxInside(box, width, height);
  const fg = createImage(width, height, 1), bg = createImage(width, height, 1);
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
    const core = Math.abs(x + 0.5 - cx) < box.width / 4 && Math.abs(y + 0.5 - cy) < box.height / 4;
    if (!inside) bg.data[y * width + x] = 1;
    else if (core) fg.data[y * width + x] = 1;
  }
  if (box.width * box.height >= width * height)
    throw new OptionError('ERR_OPTION_RANGE', 'box', box, (n) => `The ${n('box')} covers the whole image, so nothing is known to be background: draw it tighter around the object.`);
  return { fg, bg, source: 'box' };
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

/** A 1-channel image that is 1 inside the box. */
export function boxMask(box: Box, width: number, height: number): Image {
  assertBoxInside(box, width, height);
  const m = createImage(width, height, 1);
  for (let y = box.y; y < box.y + box.height; y++) m.data.fill(1, y * width + box.x, y * width + box.x + box.width);
  return m;
}
