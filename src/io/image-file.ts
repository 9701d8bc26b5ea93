// Reading and writing image files with sharp (libvips).
//
// Reads give float32 images in [0, 1] at the file's own precision: 16-bit PNG/TIFF come back as
// 16-bit (divided by 65535), not squashed to 8 bits. The pixels are kept as decoded (8 or 16 bits)
// and made float a strip of rows at a time when read (a LazyImage): a 24 MP photo holds 72 MB, not 288. EXIF orientation is applied, alpha is
// dropped (not composited: the decomposition works on the colour channels only). Writes are
// PNG, 8- or 16-bit, and atomic (temp file in the same folder, then rename).
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import type { Image } from '../image/image.js';
import { LazyImage, forEachStrip, rowsOf } from '../image/lazy-image.js';
import { toGrey, toRgb } from '../image/resize.js';
import { InputError } from '../core/errors.js';

/** Smallest accepted side, in pixels: the networks downsample several times. */
export const MIN_IMAGE_SIDE = 16;
/** Largest accepted image, in megapixels: beyond this the tensors would not fit in memory. */
export const MAX_IMAGE_MEGAPIXELS = 50;

const FORMATS = 'PNG, JPEG, WebP, TIFF or GIF';

export interface ReadImageOptions {
  /** 3 (default): grey images are expanded to RGB. 1: colour images are converted to luma. */
  channels?: 1 | 3;
}

export interface WriteImageOptions {
  /** PNG bit depth: 8 (default) or 16. */
  bitDepth?: 8 | 16;
}

/** Read an image file into a float image in [0, 1]. */
export async function readImage(path: string, opts: ReadImageOptions = {}): Promise<Image> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${path}": it is a folder. Pass the path of a ${FORMATS} image file.`);
    }
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${path}": no such file. Check the path (relative paths start from ${process.cwd()}).`);
    }
    if (code === 'EACCES') {
      throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${path}": permission denied. Make the file readable.`);
    }
    throw err;
  }
  if (size === 0) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${path}": file is empty. Pass a ${FORMATS} image.`);
  }
  return decode(path, path, opts);
}

/** Read an image from an in-memory file (e.g. an upload); `name` is used in error messages. */
export async function readImageBuffer(buf: Buffer, name: string, opts: ReadImageOptions = {}): Promise<Image> {
  if (buf.length === 0) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${name}": file is empty. Pass a ${FORMATS} image.`);
  }
  return decode(buf, name, opts);
}

export interface ImageHeader {
  /** As decoded: EXIF orientation applied. */
  width: number;
  height: number;
  /** Colour bands, alpha not counted: 1 (grey) or 3. */
  channels: 1 | 3;
  /** sharp's name for the format: png, jpeg, webp, tiff, gif. */
  format: string;
}

/**
 * Checks an in-memory image by its header only, nothing decoded: the same errors as reading it
 * for a file that is not an image or too small or too large. A file damaged past its header
 * still fails later, when it is read.
 */
export async function probeImageBuffer(buf: Buffer, name: string): Promise<ImageHeader> {
  if (buf.length === 0) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${name}": file is empty. Pass a ${FORMATS} image.`);
  }
  const meta = await header(sharp(buf, { limitInputPixels: false, failOn: 'error' }), name);
  const turned = (meta.orientation ?? 1) >= 5; // EXIF orientations 5-8 swap the sides
  return {
    width: turned ? meta.height : meta.width, height: turned ? meta.width : meta.height,
    channels: (meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0) === 1 ? 1 : 3, format: meta.format ?? 'image',
  };
}

/** The header of an image, its size checked against the limits. */
async function header(img: sharp.Sharp, name: string): Promise<sharp.Metadata & { width: number; height: number }> {
  let meta: sharp.Metadata;
  try {
    meta = await img.metadata();
  } catch (err) {
    throw new InputError('ERR_IMAGE_FILE', 
      `Cannot read image "${name}": not a readable image (${summarise(err)}). Pass a ${FORMATS} image.`,
    );
  }
  const { width, height } = meta;
  if (!width || !height) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${name}": its size is unknown. Pass a ${FORMATS} image.`);
  }
  if (Math.min(width, height) < MIN_IMAGE_SIDE) {
    throw new InputError('ERR_IMAGE_FILE', 
      `Cannot read image "${name}": it is ${width}x${height} pixels, too small. ` +
        `Pass an image at least ${MIN_IMAGE_SIDE}x${MIN_IMAGE_SIDE} pixels.`,
    );
  }
  if (width * height > MAX_IMAGE_MEGAPIXELS * 1e6) {
    throw new InputError('ERR_IMAGE_FILE', 
      `Cannot read image "${name}": it is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels), too large. ` +
        `Downscale it to at most ${MAX_IMAGE_MEGAPIXELS} megapixels first.`,
    );
  }
  return { ...meta, width, height };
}

async function decode(input: string | Buffer, name: string, opts: ReadImageOptions): Promise<Image> {
  const want = opts.channels ?? 3;
  if (want !== 1 && want !== 3) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${name}": channels must be 1 or 3, got ${String(want)}. Pass {channels: 1} or {channels: 3}.`);
  }
  // Our own size limits replace sharp's pixel limit, and are checked from the header before decoding.
  const open = () => sharp(input, { limitInputPixels: false, failOn: 'error' });
  const meta = await header(open(), name);

  // Decode in the file's own colour family (grey or RGB) and precision; channel conversion
  // is done afterwards in float so 16-bit data keeps its precision.
  const colourBands = (meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0);
  const grey = colourBands === 1;
  const deep = meta.depth === 'ushort' || meta.depth === 'short' || meta.depth === 'uint' || meta.depth === 'float';
  const space = grey ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb';

  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await open()
      .rotate() // apply EXIF orientation
      .removeAlpha()
      .toColourspace(space)
      .raw({ depth: deep ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new InputError('ERR_IMAGE_FILE', 
      `Cannot read image "${name}": decoding failed (${summarise(err)}). The file may be truncated or corrupt; pass a valid ${FORMATS} image.`,
    );
  }

  const { info, data } = raw;
  const ch = info.channels;
  if (ch !== 1 && ch !== 3) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot read image "${name}": decoded to ${ch} channels. Convert it to RGB or greyscale first.`);
  }
  return decodedImage(info.width, info.height, ch, deep ? new Uint16Array(data.buffer, data.byteOffset, data.length >> 1) : data, want);
}

/**
 * The decoded pixels as a lazy float image (lazy-image.ts): they stay at 8 or 16 bits, a quarter or
 * half of the float copy, and rows are made in float (and converted to `want` channels) when read.
 */
function decodedImage(width: number, height: number, channels: 1 | 3, pixels: Uint8Array | Uint16Array, want: 1 | 3): Image {
  const scale = pixels instanceof Uint16Array ? 65535 : 255;
  const decoded = new LazyImage(width, height, channels, (y0, y1) => {
    const from = y0 * width * channels, out = new Float32Array((y1 - y0) * width * channels);
    for (let i = 0; i < out.length; i++) out[i] = pixels[from + i] / scale;
    return out;
  });
  if (channels === want) return decoded;
  return want === 3 ? toRgb(decoded) : toGrey(decoded);
}
/** Write a 1- or 3-channel image as PNG, atomically, creating the parent folder. */
export async function writeImage(path: string, img: Image, opts: WriteImageOptions = {}): Promise<void> {
  const png = await encodePng(img, opts);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  // A crash mid-write leaves only a hidden temp file, never a truncated PNG under the real name.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(tmp, png);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new InputError('ERR_IMAGE_FILE', `Cannot write image "${path}": ${summarise(err)}. Check that the folder is writable and the disk not full.`);
  }
}

/** Encode a 1- or 3-channel image as PNG (values clamped to [0, 1] and rounded). */
export async function encodePng(img: Image, opts: WriteImageOptions = {}): Promise<Buffer> {
  const bitDepth = opts.bitDepth ?? 8;
  if (bitDepth !== 8 && bitDepth !== 16) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot encode PNG: bitDepth must be 8 or 16, got ${String(bitDepth)}. Pass {bitDepth: 8} or {bitDepth: 16}.`);
  }
  const { width, height, channels } = img;
  if (channels !== 1 && channels !== 3) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot encode PNG: image has ${channels} channels. Pass a 1-channel or 3-channel image.`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError('ERR_IMAGE_FILE', `Cannot encode PNG: size ${width}x${height} is invalid. Pass an image with positive integer size.`);
  }
  if (!(img instanceof LazyImage) && img.data.length !== width * height * channels) {
    throw new InputError('ERR_IMAGE_FILE', 
      `Cannot encode PNG: data has ${img.data.length} values, ${width}x${height}x${channels} needs ${width * height * channels}. Build images with createImage().`,
    );
  }
  const max = bitDepth === 16 ? 65535 : 255;
  const pixels = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  // A strip at a time, so a lazy full-resolution image is never made whole in float.
  forEachStrip(img, (y0, y1) => {
    const rows = rowsOf(img, y0, y1), from = y0 * width * channels;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i];
      // NaN becomes 0 rather than poisoning the file.
      pixels[from + i] = v > 0 ? Math.round(Math.min(v, 1) * max) : 0;
    }
  });
  const space = channels === 1 ? (bitDepth === 16 ? 'grey16' : 'b-w') : bitDepth === 16 ? 'rgb16' : 'srgb';
  return sharp(pixels, { raw: { width, height, channels } }).toColourspace(space).png().toBuffer();
}

function summarise(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim();
}
