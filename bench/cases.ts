// The image dev cases of the quality benches, built from the photos, masks and depth in
// ../shared/data/dev with exact ground truth, as data: a task, its inputs and options, and a score
// of its outputs against the truth (IoU, PSNR). bench/quality*.ts print them; bench/time-to-quality
// runs them through any tree's library.
import { join, resolve } from 'node:path';
import { readImage } from '../src/io/image-file.js';
import { resizeImage, toRgb } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import type { Box } from '../src/image/hints.js';
import { iou, ncc, psnr } from './metrics.js';

export type CaseTask = 'segment' | 'separate' | 'dehaze' | 'watermark';

export interface DevCase {
  name: string;
  /** The bench group it belongs to (quality.ts --cases / quality-dehaze-watermark.ts --cases). */
  group: 'seg' | 'two' | 'one' | 'depth' | 'synth' | 'wm1' | 'wm1more' | 'wm3';
  task: CaseTask;
  inputs: Image[];
  /** Task options beyond the defaults (a box). */
  options: Record<string, unknown>;
  metric: 'IoU' | 'layer PSNR dB' | 'PSNR dB' | 'PSNR in the mark dB';
  /** The score of a result's images (higher is better). */
  score(images: Record<string, Image>): number;
  /** The same score for doing nothing (the input itself; for segmentation an all-foreground mask). */
  doNothing: number;
}

export const dataDir = (root = process.cwd()) => join(root, '..', 'shared', 'data');

const fit = async (p: string, w: number, h: number) => resizeImage(toRgb(await readImage(p)), w, h);
export const blend = (a: Image, b: Image, m: number): Image => ({ ...a, data: a.data.map((v, i) => m * v + (1 - m) * b.data[i]) });

/** Object pixels from `obj` where the mask is on, `bg` elsewhere. */
export function composite(obj: Image, bg: Image, mask: Image): Image {
  const out = createImage(bg.width, bg.height, 3);
  for (let i = 0; i < bg.width * bg.height; i++) for (let c = 0; c < 3; c++)
    out.data[i * 3 + c] = mask.data[i] >= 0.5 ? obj.data[i * 3 + c] : bg.data[i * 3 + c];
  return out;
}

/** The ground truth's bounding box, grown by `pad` of its size on each side: the box a user would draw. */
export function boxAround(mask: Image, pad = 0.05): Box {
  let x0 = mask.width, y0 = mask.height, x1 = -1, y1 = -1;
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++)
    if (mask.data[y * mask.width + x] >= 0.5) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const px = Math.round((x1 - x0 + 1) * pad), py = Math.round((y1 - y0 + 1) * pad);
  const x = Math.max(0, x0 - px), y = Math.max(0, y0 - py);
  return { x, y, width: Math.min(mask.width, x1 + 1 + px) - x, height: Math.min(mask.height, y1 + 1 + py) - y };
}

/** I = t J + (1 - t) A, t = exp(-beta d); A(x, y) an RGB colour per pixel. */
export function haze(J: Image, depth: Float32Array, beta: number, A: (x: number, y: number) => number[]): Image {
  const I = createImage(J.width, J.height, 3);
  for (let y = 0; y < J.height; y++) for (let x = 0; x < J.width; x++) {
    const i = y * J.width + x, t = Math.exp(-beta * depth[i]), a = A(x, y);
    for (let c = 0; c < 3; c++) I.data[i * 3 + c] = t * J.data[i * 3 + c] + (1 - t) * a[c];
  }
  return I;
}

/** The aloe's depth at w x h from its Middlebury disparity, 0 = nearest, 1 = farthest (unknown = far). */
export async function aloeDepth(shared: string, w: number, h: number): Promise<Float32Array> {
  // Nearest-neighbour disparity (bilinear would blend unknown 0s into edges).
  const disp = await readImage(join(shared, 'dev', 'gt_depth/middlebury2006_aloe_gt_disp.png'), { channels: 1 });
  const d = new Float32Array(w * h);
  let lo = Infinity, hi = -Infinity;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = disp.data[Math.min(disp.height - 1, Math.floor(((y + 0.5) * disp.height) / h)) * disp.width + Math.min(disp.width - 1, Math.floor(((x + 0.5) * disp.width) / w))];
    d[y * w + x] = v;
    if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  for (let i = 0; i < d.length; i++) d[i] = d[i] > 0 ? (hi - d[i]) / (hi - lo) : 1;
  return d;
}

/** PSNR inside a box. */
export function regionPsnr(a: Image, b: Image, box: Box): number {
  let s = 0, n = 0;
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) for (let c = 0; c < 3; c++) {
    const i = (y * a.width + x) * 3 + c;
    s += (a.data[i] - b.data[i]) ** 2; n++;
  }
  return -10 * Math.log10(Math.max(s / n, 1e-12));
}

/** The text matte as alpha (times opacity) in `box` of a width x height frame. */
export async function markAlpha(shared: string, width: number, height: number, box: Box, opacity: number): Promise<Image> {
  const matte = resizeImage(await readImage(join(shared, 'dev', 'watermarks/text_matte.png'), { channels: 1 }), box.width, box.height);
  const a = createImage(width, height, 1);
  for (let y = 0; y < box.height; y++) for (let x = 0; x < box.width; x++)
    a.data[(box.y + y) * width + box.x + x] = opacity * matte.data[y * box.width + x];
  return a;
}
/** A white mark: alpha * 1 + (1 - alpha) * C. */
export const mark = (C: Image, alpha: Image): Image => ({ ...C, data: C.data.map((v, i) => alpha.data[Math.floor(i / 3)] + (1 - alpha.data[Math.floor(i / 3)]) * v) });

/** Layer PSNR of two outputs against two truths, in whichever order matches better (NCC). */
export function layerPsnr(l1: Image, l2: Image, truths: [Image, Image]): [number, number] {
  const direct = ncc(l1, truths[0]) + ncc(l2, truths[1]), swapped = ncc(l1, truths[1]) + ncc(l2, truths[0]);
  const [a, b] = direct >= swapped ? [l1, l2] : [l2, l1];
  return [psnr(a, truths[0]), psnr(b, truths[1])];
}

export const WATERMARK_FRAME = { width: 256, height: 192, box: { x: 28, y: 64, width: 200, height: 62 } };
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** The dev cases of the given groups (all by default), built from `shared`. */
export async function devCases(shared: string, groups?: Set<string>): Promise<DevCase[]> {
  const dev = (p: string) => join(shared, 'dev', p);
  const want = (g: DevCase['group']) => !groups || groups.has(g);
  const out: DevCase[] = [];

  if (want('seg')) {
    const horse = resizeImage(await readImage(dev('gt_masks/skimage_horse_silhouette.png'), { channels: 1 }), 320, 262);
    const inv = { ...horse, data: horse.data.map((v) => 1 - v) }; // the silhouette is black on white
    const obj = await fit(dev('natural/opencv_fruits.jpg'), 320, 262), bg = await fit(dev('natural/jxl_wesaturate_u76c0g_bliznaca.png'), 320, 262);
    const voc = await readImage(dev('gt_masks/voc_2011_000003.jpg'));
    const vocMask = await readImage(dev('gt_masks/voc_2011_000003_mask_largest_object.png'), { channels: 1 });
    // The silhouette fills its frame, so a box around it would be the whole image: for the box
    // hint the horse is pasted at 60% size, off-centre.
    const small = resizeImage(inv, 192, 157), placed = createImage(320, 262, 1);
    for (let y = 0; y < small.height; y++) for (let x = 0; x < small.width; x++) placed.data[(y + 70) * 320 + x + 100] = small.data[y * small.width + x] >= 0.5 ? 1 : 0;
    const seg = (name: string, image: Image, truth: Image, options: Record<string, unknown> = {}): DevCase => ({
      name, group: 'seg', task: 'segment', inputs: [image], options, metric: 'IoU',
      score: (r) => iou(r.mask, truth), doNothing: iou(createImage(truth.width, truth.height, 1, 1), truth),
    });
    out.push(seg('horse-composite (auto hints)', composite(obj, bg, inv), inv), seg('voc-2011-000003 (auto hints)', voc, vocMask),
      seg('horse-composite small (box)', composite(obj, bg, placed), placed, { box: boxAround(placed) }),
      seg('voc-2011-000003 (box)', voc, vocMask, { box: boxAround(vocMask) }));
  }
  const layers = (name: string, group: 'two' | 'one', inputs: Image[], truths: [Image, Image]): DevCase => ({
    name, group, task: 'separate', inputs, options: {}, metric: 'layer PSNR dB',
    score: (r) => mean(layerPsnr(r.layer1, r.layer2, truths)),
    doNothing: mean(truths.map((t, k) => psnr(inputs[Math.min(k, inputs.length - 1)], t))),
  });
  if (want('two')) {
    const a = await fit(dev('natural/skimage_astronaut.png'), 256, 256), b = await fit(dev('natural/jxl_wesaturate_tmshre_riaphotographs.png'), 256, 256);
    out.push(layers('two mixtures 0.3 and 0.7', 'two', [blend(a, b, 0.3), blend(a, b, 0.7)], [a, b]));
  }
  if (want('one')) {
    const a = await fit(dev('natural/opencv_baboon.jpg'), 256, 256), b = await fit(dev('natural/skimage_coffee.png'), 256, 256);
    out.push(layers('one mixture 0.5', 'one', [blend(a, b, 0.5)], [a, b]));
  }
  const hazeCase = (name: string, group: 'depth' | 'synth', hazy: Image, J: Image): DevCase => ({
    name, group, task: 'dehaze', inputs: [hazy], options: {}, metric: 'PSNR dB', score: (r) => psnr(r.dehazed, J), doNothing: psnr(hazy, J),
  });
  if (want('depth')) {
    const w = 256, h = 222;
    const J = await fit(dev('gt_depth/middlebury2006_aloe_left.jpg'), w, h);
    const d = await aloeDepth(shared, w, h);
    out.push(hazeCase('aloe depth beta 1.5, A uniform', 'depth', haze(J, d, 1.5, () => [0.85, 0.87, 0.9]), J));
  }
  if (want('synth')) {
    const w = 256, h = 256;
    const J = await fit(dev('natural/skimage_astronaut.png'), w, h);
    const d = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
      d[y * w + x] = 0.2 + 0.6 * (1 - y / (h - 1)) + 0.15 * Math.sin((2 * Math.PI * x) / w) * Math.cos((Math.PI * y) / h);
    const A = (x: number) => { const s = x / (w - 1); return [0.72 + 0.23 * s, 0.78 + 0.15 * s, 0.88 + 0.04 * s]; };
    out.push(hazeCase('astronaut smooth depth beta 2, A varies', 'synth', haze(J, d, 2, A), J));
  }
  const { width: W, height: H, box: markBox } = WATERMARK_FRAME;
  const userBox = { x: markBox.x - 4, y: markBox.y - 4, width: markBox.width + 8, height: markBox.height + 8 };
  const oneMark = async (name: string, group: 'wm1' | 'wm1more', photo: string, opacity: number, options: Record<string, unknown> = {}): Promise<DevCase> => {
    const C = await fit(dev(photo), W, H);
    const I = mark(C, await markAlpha(shared, W, H, markBox, opacity));
    return { name, group, task: 'watermark', inputs: [I], options: { box: userBox, ...options }, metric: 'PSNR in the mark dB',
      score: (r) => regionPsnr(r.clean, C, userBox), doNothing: regionPsnr(I, C, userBox) };
  };
  if (want('wm1')) out.push(await oneMark('one image + box, coffee, opacity 0.45', 'wm1', 'natural/skimage_coffee.png', 0.45));
  if (want('wm1more')) {
    for (const [photo, opacity] of [['natural/opencv_fruits.jpg', 0.3], ['natural/skimage_chelsea.png', 0.6], ['natural/skimage_astronaut.png', 0.45], ['natural/kpa_snow.jpg', 0.35]] as const)
      out.push(await oneMark(`one image + box, ${photo.split('/')[1].split('.')[0]}, opacity ${opacity}`, 'wm1more', photo, opacity));
  }
  if (want('wm3')) {
    const Cs = await Promise.all(['natural/skimage_coffee.png', 'natural/opencv_fruits.jpg', 'natural/skimage_chelsea.png'].map((p) => fit(dev(p), W, H)));
    const alpha = await markAlpha(shared, W, H, markBox, 0.45);
    const Is = Cs.map((C) => mark(C, alpha));
    out.push({ name: 'three images, opacity 0.45', group: 'wm3', task: 'watermark', inputs: Is, options: {}, metric: 'PSNR in the mark dB',
      score: (r) => mean(Cs.map((C, k) => regionPsnr(r[`clean-${k + 1}`], C, markBox))), doNothing: mean(Cs.map((C, k) => regionPsnr(Is[k], C, markBox))) });
  }
  return out;
}

/** confidence and concerns: the result's own checks (report.confidence, report.concerns), where the task reports them. */
export interface Outcome { score: number; seconds: number; iterations: number; confidence?: string; concerns?: string[] }

/** One case at the defaults (plus its options and `seed`) through the library of the double-dip checkout at `tree`. */
export async function runCase(tree: string, c: Pick<DevCase, 'task' | 'inputs' | 'options' | 'score'>, seed: number, extra: Record<string, unknown> = {}): Promise<Outcome> {
  const lib = await import(resolve(tree, 'dist/src/index.js'));
  const o = { ...c.options, ...extra, seed };
  const started = performance.now();
  const r = c.task === 'segment' ? await lib.segment(c.inputs[0], o)
    : c.task === 'separate' ? await lib.separate(c.inputs, o)
      : c.task === 'dehaze' ? await lib.dehaze(c.inputs[0], o)
        : await lib.removeWatermark(c.inputs, o);
  const seconds = (performance.now() - started) / 1000;
  return { score: c.score(r.images as Record<string, Image>), seconds, iterations: r.report.iterations, confidence: r.report.confidence, concerns: r.report.concerns };
}
