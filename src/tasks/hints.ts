// Foreground/background hints for segmentation, checked: a user mask or a box against the image,
// with errors that name the option. The maps themselves are src/image/hints.ts's.
import type { Image } from '../image/image.js';
import { SEGMENT_HINT_LEVELS, boxCoreSpan, boxHints, readHintMask, type Box, type Hints } from '../image/hints.js';
import { MAX_SIZE, OptionError, optionFromText } from './options.js';

/** A user hint image: white = foreground, black = background, grey = unknown (SEGMENT_HINT_LEVELS). */
export function hintsFromMask(mask: Image, width: number, height: number): Hints {
  if (mask.width !== width || mask.height !== height)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', mask, (n) => `The ${n('hint')} mask is ${mask.width}x${mask.height} but the image is ${width}x${height}: draw the hint at the image's size.`);
  const { white, black, whites: nf, blacks: nb } = readHintMask(mask, SEGMENT_HINT_LEVELS);
  if (nf === 0 || nb === 0)
    throw new OptionError('ERR_OPTION_RANGE', 'hint', mask, (n) => `The ${n('hint')} mask needs both white (foreground) and black (background) pixels; it has ${nf} white and ${nb} black.`);
  return { fg: white, bg: black, source: 'mask' };
}

/** A box around the object: outside is background, the box's inner half is foreground (boxHints). */
export function hintsFromBox(box: Box, width: number, height: number): Hints {
  assertBoxInside(box, width, height);
  if (box.width * box.height >= width * height)
    throw new OptionError('ERR_OPTION_RANGE', 'box', box, (n) => `The ${n('box')} covers the whole image, so nothing is known to be background: draw it tighter around the object.`);
  return boxHints(box, width, height);
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
 * Fewest pixels of the working size the box's foreground core (its inner half, boxHints) must
 * span on each side: two, so that at least one working pixel lies wholly inside it and stays
 * foreground when the hints are resized and thresholded (workingHints).
 */
export const MIN_CORE_PIXELS = 2;

/**
 * Refuses a box whose foreground core would vanish at the working size, with the smallest box
 * that works at this size and the size that would make this box work. `working(size)` is the
 * task's working size for the image at a given --size.
 */
export function checkBoxAtWorkingSize(b: Box, width: number, height: number, size: number,
  working: (size: number) => { width: number; height: number }): void {
  const fits = (s: number, bw = b.width, bh = b.height) => {
    const w = working(s);
    return boxCoreSpan(bw) * (w.width / width) >= MIN_CORE_PIXELS && boxCoreSpan(bh) * (w.height / height) >= MIN_CORE_PIXELS;
  };
  if (fits(size)) return;
  const w = working(size);
  let minW = b.width, minH = b.height;
  while (minW < width && boxCoreSpan(minW) * (w.width / width) < MIN_CORE_PIXELS) minW++;
  while (minH < height && boxCoreSpan(minH) * (w.height / height) < MIN_CORE_PIXELS) minH++;
  let enough: number | undefined;
  for (let s = size + 1; s <= MAX_SIZE && enough === undefined; s++) if (fits(s)) enough = s;
  const core = (side: number, scale: number) => Math.round(boxCoreSpan(side) * scale * 10) / 10;
  throw new OptionError('ERR_OPTION_RANGE', 'box', b, (n) => `The ${n('box')} ${b.x},${b.y},${b.width},${b.height} is too small at the working size: ` +
    `the ${width}x${height} image is processed at ${w.width}x${w.height} (${n('size')} ${size}), where the box's inner half, taken as foreground, ` +
    `spans ${core(b.width, w.width / width)}x${core(b.height, w.height / height)} px and needs at least ${MIN_CORE_PIXELS}x${MIN_CORE_PIXELS}. ` +
    `Draw a box at least ${minW}x${minH} pixels` +
    (enough !== undefined ? `, or raise ${n('size')} to ${enough}.` : '.'));
}
