// The dev set: 60+ cases with exact ground truth generated from the photos, masks and depth in
// ../shared/data/dev, combined (every object over several backgrounds, several blends per photo
// pair, marks of three colours as text and as logos, real and smooth depth), each case in a tuning
// half or a check half. Defaults are tuned on the tuning half only; the check half says whether
// they hold on photos they were not tuned on. Deterministic: the same files give the same cases.
import { join } from 'node:path';
import { readImage } from '../src/io/image-file.js';
import { resizeImage, toRgb } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import { gaussianKernel, separableBlur } from '../src/image/filters.js';
import type { Box } from '../src/image/hints.js';
import { iou, psnr } from './metrics.js';
import { aloeDepth, blend, boxAround, composite, haze, layerPsnr, regionPsnr, type DevCase } from './cases.js';

export type Half = 'tuning' | 'check';
export interface SetCase extends Omit<DevCase, 'group'> { half: Half; kind: string; /** Segmentation: the true mask. */ truth?: Image }

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** A photo at w x h (RGB). */
const photoAt = async (p: string, w: number, h: number) => resizeImage(toRgb(await readImage(p)), w, h);
/** Gaussian defocus of sigma px: a background out of focus. */
export function defocus(img: Image, sigma: number): Image {
  const k = gaussianKernel(Math.ceil(2.5 * sigma), sigma);
  return { ...img, data: Float32Array.from(separableBlur(img.data, img.width, img.height, img.channels, k)) };
}
/** The object (pixels and mask) inside the mask's bounding box. */
function cutOut(img: Image, mask: Image): { obj: Image; mask: Image } {
  const b = boxAround(mask, 0);
  const crop = (src: Image) => {
    const out = createImage(b.width, b.height, src.channels);
    for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) for (let c = 0; c < src.channels; c++)
      out.data[(y * b.width + x) * src.channels + c] = src.data[((b.y + y) * src.width + b.x + x) * src.channels + c];
    return out;
  };
  return { obj: crop(img), mask: crop(mask) };
}
/** The object scaled to `scale` of the frame's height, placed with its box's top-left at (fx, fy) of the free room (0..1; 1 = touching the right/bottom border). */
function place(obj: { obj: Image; mask: Image }, w: number, h: number, scale: number, fx: number, fy: number): { image: Image; mask: Image } {
  const oh = Math.round(h * scale), ow = Math.min(w, Math.round((obj.obj.width * oh) / obj.obj.height));
  const o = resizeImage(obj.obj, ow, oh), m = resizeImage(obj.mask, ow, oh);
  const x0 = Math.round((w - ow) * fx), y0 = Math.round((h - oh) * fy);
  const image = createImage(w, h, 3), mask = createImage(w, h, 1);
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
    const i = (y0 + y) * w + x0 + x;
    mask.data[i] = m.data[y * ow + x] >= 0.5 ? 1 : 0;
    for (let c = 0; c < 3; c++) image.data[i * 3 + c] = o.data[(y * ow + x) * 3 + c];
  }
  return { image, mask };
}
/** A shape mask: 'ellipse' or 'star', filling its frame. */
function shape(kind: 'ellipse' | 'star', w: number, h: number): Image {
  const m = createImage(w, h, 1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const u = (2 * x) / (w - 1) - 1, v = (2 * y) / (h - 1) - 1, r = Math.hypot(u, v), a = Math.atan2(v, u);
    m.data[y * w + x] = kind === 'ellipse' ? (r <= 1 ? 1 : 0) : (r <= 0.55 + 0.4 * Math.cos(5 * a) ** 2 ? 1 : 0);
  }
  return m;
}
/** A logo matte in a w x h box: a ring and a bar, strokes ~h/8. */
function logoMatte(w: number, h: number): Image {
  const m = createImage(w, h, 1), t = Math.max(2, h / 8), cx = h / 2, cy = h / 2, R = h / 2 - t;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const ring = Math.abs(Math.hypot(x - cx, y - cy) - R) <= t / 2;
    const bar = x >= h * 1.15 && x <= w - t && Math.abs(y - cy) <= t;
    m.data[y * w + x] = ring || bar ? 1 : 0;
  }
  return m;
}
/** I = alpha * colour + (1 - alpha) * C, alpha = opacity * matte in `box`. */
function markWith(C: Image, matte: Image, box: Box, opacity: number, colour: number[]): Image {
  const out = { ...C, data: C.data.slice() };
  const mt = resizeImage(matte, box.width, box.height);
  for (let y = 0; y < box.height; y++) for (let x = 0; x < box.width; x++) {
    const a = opacity * mt.data[y * box.width + x], i = ((box.y + y) * C.width + box.x + x) * 3;
    for (let c = 0; c < 3; c++) out.data[i + c] = a * colour[c] + (1 - a) * C.data[i + c];
  }
  return out;
}

/** The backgrounds and layers of the dev set (../shared/data/dev/natural). */
const PHOTOS = ['skimage_coffee.png', 'opencv_fruits.jpg', 'skimage_chelsea.png', 'kpa_snow.jpg', 'jxl_wesaturate_u76c0g_bliznaca.png',
  'opencv_butterfly.jpg', 'skimage_rocket.jpg', 'jxl_wesaturate_cvo9xd_keong_macan.png', 'kpa_spiff.jpg', 'opencv_apple.jpg'];
/**
 * The dehazing scenes at w x h: real depth (Middlebury aloe, its own photo) and smooth synthetic depth under
 * other photos; uniform and varying airlight. The dev set's dehaze cases, and bench/quality-video's clips
 * panning over them; in order, so even indices are the tuning half.
 */
export async function hazeScenes(shared: string, w = 250, h = 216): Promise<{ name: string; J: Image; hazy: Image }[]> {
  const dev = (p: string) => join(shared, 'dev', p);
  const short = (p: string) => p.split('/').pop()!.split('.')[0];
  const photos = PHOTOS.map((p) => dev(`natural/${p}`));
  const real = await aloeDepth(shared, w, h);
  const smooth = (k: number) => {
    const d = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
      d[y * w + x] = 0.15 + 0.6 * (k % 2 ? x / (w - 1) : 1 - y / (h - 1)) + 0.12 * Math.sin((2 * Math.PI * (x + 40 * k)) / w) * Math.cos((Math.PI * y) / h);
    return d;
  };
  const uniform = (c: number[]) => () => c;
  const varying = (c0: number[], c1: number[]) => (x: number) => { const s = x / (w - 1); return c0.map((v, i) => v + (c1[i] - v) * s); };
  const scenes: [string, string, Float32Array, number, (x: number, y: number) => number[], string][] = [
    ['aloe', dev('gt_depth/middlebury2006_aloe_left.jpg'), real, 1.2, uniform([0.8, 0.82, 0.86]), 'real depth, A uniform'],
    ['aloe', dev('gt_depth/middlebury2006_aloe_left.jpg'), real, 1.6, varying([0.7, 0.75, 0.85], [0.95, 0.9, 0.8]), 'real depth, A varies'],
    ...[0, 1, 2, 3, 4, 5].map((k): [string, string, Float32Array, number, (x: number, y: number) => number[], string] => [short(photos[k + 2]), photos[k + 2], smooth(k), 1.4 + 0.2 * (k % 3),
      k % 2 ? varying([0.65, 0.7, 0.8], [0.92, 0.9, 0.85]) : uniform([0.75 + 0.03 * k, 0.78 + 0.02 * k, 0.85]), `smooth depth, A ${k % 2 ? 'varies' : 'uniform'}`]),
  ];
  const out: { name: string; J: Image; hazy: Image }[] = [];
  for (const [name, path, d, beta, A, what] of scenes) {
    const J = await photoAt(path, w, h);
    out.push({ name: `${name}, ${what}, beta ${beta.toFixed(1)}`, J, hazy: haze(J, d, beta, A) });
  }
  return out;
}

/** The dev set, both halves (each case's `half`), optionally only some kinds (segment-auto, segment-box, two, one, dehaze, watermark-box, watermark-multi). */
export async function devSet(shared: string, kinds?: Set<string>): Promise<SetCase[]> {
  const dev = (p: string) => join(shared, 'dev', p);
  const want = (k: string) => !kinds || kinds.has(k);
  const out: SetCase[] = [];
  // Halves alternate within each kind, so each kind has cases in both.
  const counters = new Map<string, number>();
  const add = (kind: string, c: Omit<SetCase, 'half' | 'kind'>) => {
    const n = counters.get(kind) ?? 0;
    counters.set(kind, n + 1);
    out.push({ ...c, kind, half: n % 2 === 0 ? 'tuning' : 'check' });
  };
  const photos = PHOTOS.map((p) => dev(`natural/${p}`));

  if (want('segment-auto') || want('segment-box')) {
    // Objects: two real photographed ones with their masks (a person from VOC, the labelme truck and car), and
    // two shapes filled with photo texture (the horse silhouette, a star).
    const voc = cutOut(await readImage(dev('gt_masks/voc_2011_000003.jpg')), await readImage(dev('gt_masks/voc_2011_000003_mask_largest_object.png'), { channels: 1 }));
    const truck = cutOut(await readImage(dev('video/labelme_truck_seq/frame_00000100.jpg')), await readImage(dev('video/labelme_truck_seq/mask_00000100.png'), { channels: 1 }));
    const horseMask = await readImage(dev('gt_masks/skimage_horse_silhouette.png'), { channels: 1 });
    const horse = { obj: await photoAt(dev('natural/opencv_baboon.jpg'), horseMask.width, horseMask.height), mask: { ...horseMask, data: horseMask.data.map((v) => 1 - v) } };
    const star = { obj: await photoAt(dev('natural/opencv_starry_night.jpg'), 200, 200), mask: shape('star', 200, 200) };
    const ellipse = { obj: await photoAt(dev('natural/jxl_flower.png'), 220, 160), mask: shape('ellipse', 220, 160) };
    const objects = [['person (real)', voc], ['truck and car (real)', truck], ['horse (baboon texture)', horse], ['star (painting texture)', star], ['ellipse (flower texture)', ellipse]] as const;
    // Sizes not multiples of 32; positions centred, off-centre, touching a border; sharp and defocused backgrounds.
    const layouts = [
      { w: 300, h: 226, scale: 0.6, fx: 0.5, fy: 0.5, blur: 0 }, { w: 330, h: 250, scale: 0.5, fx: 0.15, fy: 0.8, blur: 4 },
      { w: 281, h: 211, scale: 0.7, fx: 1, fy: 0.3, blur: 0 }, { w: 317, h: 238, scale: 0.55, fx: 0.7, fy: 1, blur: 6 },
    ];
    let n = 0;
    // The box layouts' images again with automatic hints, added after the others so that the
    // earlier cases keep their halves: objects over defocused backgrounds (issue 23's failure).
    const defocusedAuto: Omit<SetCase, 'half' | 'kind'>[] = [];
    for (const [oname, obj] of objects) for (const [li, L] of layouts.entries()) {
      const bgPath = photos[(n++ * 3) % photos.length];
      let bg = await photoAt(bgPath, L.w, L.h);
      if (L.blur) bg = defocus(bg, L.blur);
      const p = place(obj, L.w, L.h, L.scale, L.fx, L.fy);
      const image = composite(p.image, bg, p.mask), truth = p.mask;
      const where = `${L.w}x${L.h}, ${L.fx === 1 || L.fy === 1 ? 'at the border' : L.fx === 0.5 ? 'centred' : 'off-centre'}${L.blur ? `, background defocused ${L.blur} px` : ''}`;
      const base = { task: 'segment' as const, inputs: [image], truth, metric: 'IoU' as const, score: (r: Record<string, Image>) => iou(r.mask, truth),
        doNothing: iou(createImage(truth.width, truth.height, 1, 1), truth) };
      const bgName = bgPath.split('/').pop()!.split('.')[0];
      // Odd layouts get a box, even ones automatic hints: every object is seen both ways.
      if (li % 2 === 0 && want('segment-auto')) add('segment-auto', { ...base, name: `${oname} over ${bgName}, ${where} (auto)`, options: {} });
      if (li % 2 === 1 && want('segment-box')) add('segment-box', { ...base, name: `${oname} over ${bgName}, ${where} (box)`, options: { box: boxAround(truth) } });
      if (li % 2 === 1 && want('segment-auto')) defocusedAuto.push({ ...base, name: `${oname} over ${bgName}, ${where} (auto)`, options: {} });
    }
    for (const c of defocusedAuto) add('segment-auto', c);
  }
  const pairs = [[0, 4], [1, 7], [2, 6], [3, 8], [5, 9], [4, 1]].map(([i, j]) => [photos[i], photos[j]] as const);
  const short = (p: string) => p.split('/').pop()!.split('.')[0];
  if (want('two')) {
    // Coefficient gaps 0.1 to 0.4.
    const coeffs: [number, number][] = [[0.45, 0.55], [0.35, 0.55], [0.3, 0.6], [0.25, 0.65], [0.3, 0.7], [0.6, 0.3]];
    for (const [k, [pa, pb]] of pairs.entries()) for (const [a1, a2] of [coeffs[k], coeffs[(k + 3) % coeffs.length]]) {
      const a = await photoAt(pa, 250, 230), b = await photoAt(pb, 250, 230);
      const inputs = [blend(a, b, a1), blend(a, b, a2)];
      add('two', { name: `two mixtures ${a1}/${a2} (gap ${Math.abs(a2 - a1).toFixed(2)}), ${short(pa)} + ${short(pb)}`, task: 'separate', inputs, options: {},
        metric: 'layer PSNR dB', score: (r) => mean(layerPsnr(r.layer1, r.layer2, [a, b])), doNothing: mean([psnr(inputs[0], a), psnr(inputs[1], b)]) });
    }
  }
  if (want('one')) {
    // Smooth + textured (one layer defocused) and textured + textured, 0.5 blends.
    for (const [k, [pa, pb]] of pairs.entries()) {
      const a = await photoAt(pa, 256, 200);
      const b0 = await photoAt(pb, 256, 200), smooth = k % 2 === 0, b = smooth ? defocus(b0, 5) : b0;
      const input = blend(a, b, 0.5);
      add('one', { name: `one image 0.5: ${short(pa)} + ${short(pb)}${smooth ? ' (smooth)' : ''}`, task: 'separate', inputs: [input], options: {},
        metric: 'layer PSNR dB', score: (r) => mean(layerPsnr(r.layer1, r.layer2, [a, b])), doNothing: mean([psnr(input, a), psnr(input, b)]) });
    }
  }
  if (want('dehaze')) for (const { name, J, hazy } of await hazeScenes(shared))
    add('dehaze', { name, task: 'dehaze', inputs: [hazy], options: {}, metric: 'PSNR dB', score: (r) => psnr(r.dehazed, J), doNothing: psnr(hazy, J) });
  const text = await readImage(dev('watermarks/text_matte.png'), { channels: 1 });
  const colours: [string, number[]][] = [['white', [1, 1, 1]], ['dark', [0.05, 0.05, 0.08]], ['red', [0.85, 0.15, 0.1]]];
  if (want('watermark-box')) {
    // White, dark and coloured marks, text and logo, opacity 0.3-0.6, on five photos.
    const W = 250, H = 190;
    let n = 0;
    for (const [cname, colour] of colours) for (const style of ['text', 'logo'] as const) for (const opacity of [0.3, 0.55]) {
      if (n >= 12) break;
      const path = photos[(n * 7 + 1) % photos.length], C = await photoAt(path, W, H);
      const box = style === 'text' ? { x: 24 + (n % 3) * 6, y: 50 + (n % 4) * 12, width: 196, height: 60 } : { x: 60 + (n % 3) * 20, y: 40 + (n % 2) * 60, width: 120, height: 56 };
      const I = markWith(C, style === 'text' ? text : logoMatte(120, 56), box, opacity, colour);
      const user = { x: box.x - 4, y: box.y - 4, width: box.width + 8, height: box.height + 8 };
      add('watermark-box', { name: `${cname} ${style} mark, opacity ${opacity}, ${short(path)}`, task: 'watermark', inputs: [I], options: { box: user },
        metric: 'PSNR in the mark dB', score: (r) => regionPsnr(r.clean, C, user), doNothing: regionPsnr(I, C, user) });
      n++;
    }
  }
  if (want('watermark-multi')) {
    // Three photos sharing one mark (the same place), as stock photos do.
    const W = 250, H = 190, box = { x: 28, y: 64, width: 196, height: 60 };
    for (const [k, [cname, colour]] of [...colours, ['white', [1, 1, 1]] as [string, number[]]].entries()) {
      const opacity = [0.45, 0.5, 0.4, 0.6][k], style = k === 3 ? 'logo' : 'text';
      const Cs = await Promise.all([0, 1, 2].map((j) => photoAt(photos[(k * 3 + j) % photos.length], W, H)));
      const matte = style === 'logo' ? logoMatte(196, 60) : text;
      const Is = Cs.map((C) => markWith(C, matte, box, opacity, colour));
      add('watermark-multi', { name: `three images, ${cname} ${style} mark, opacity ${opacity}`, task: 'watermark', inputs: Is, options: {}, metric: 'PSNR in the mark dB',
        score: (r) => mean(Cs.map((C, j) => regionPsnr(r[`clean-${j + 1}`], C, box))), doNothing: mean(Cs.map((C, j) => regionPsnr(Is[j], C, box))) });
    }
  }
  return out;
}
