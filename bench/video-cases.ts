// The video cases of bench/quality-video.ts, clips with exact ground truth built from
// ../shared/data/dev, as data: a task, its frames and per-frame truths, and a score of the per-frame
// results (mean IoU, layer PSNR, PSNR). quality-video.ts prints them in detail; time-to-quality.ts
// runs them through any tree's library (runVideoCase) at its defaults.
//   seg     a horse-shaped piece of one photo moving over a panning second photo (exact masks)
//   sep     a dynamic layer panning over a static one, mixed with known per-frame coefficients (eq. 7)
//   truck   the labelled labelme truck sequence (frames + masks)
//   haze    a static scene under haze (Middlebury Aloe, haze from its true depth), the camera panning
//   hazedev the dev set's eight dehazing scenes (bench/devset.ts) at 200x144, the camera panning over each
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readImage } from '../src/io/image-file.js';
import { resizeImage } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import { iou, ncc, psnr } from './metrics.js';
import { blend, type Outcome } from './cases.js';
import { hazeScenes } from './devset.js';

export type VideoTask = 'video-segment' | 'video-separate' | 'video-dehaze';
export type VideoGroup = 'seg' | 'sep' | 'truck' | 'haze' | 'hazedev';

export interface VideoCase {
  name: string;
  /** quality-video.ts --cases. */
  group: VideoGroup;
  task: VideoTask;
  frames: Image[];
  /** Per frame: the true mask (segment), the clean frame (dehaze), the dynamic layer (separate). */
  truths: Image[];
  /** Separation only: the static layer and the true mixing coefficient of each frame. */
  staticLayer?: Image;
  coefficients?: number[];
  metric: 'IoU' | 'layer PSNR dB' | 'PSNR dB';
  /** The score of the per-frame results (result.frame(k, ...) for every k; higher is better). */
  score(results: Record<string, Image>[]): number;
  /** The same score for doing nothing: an all-foreground mask, or the input frames themselves. */
  doNothing: number;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Crop w x h at (x, y) of img. */
function crop(img: Image, x: number, y: number, w: number, h: number): Image {
  const out = createImage(w, h, img.channels);
  for (let j = 0; j < h; j++) out.data.set(img.data.subarray(((y + j) * img.width + x) * img.channels, ((y + j) * img.width + x + w) * img.channels), j * w * img.channels);
  return out;
}
/** mask (1 ch) placed at (x, y) in a w x h canvas of zeros. */
function place(mask: Image, x: number, y: number, w: number, h: number): Image {
  const out = createImage(w, h, 1);
  for (let j = 0; j < mask.height; j++) for (let i = 0; i < mask.width; i++) {
    const X = x + i, Y = y + j;
    if (X >= 0 && X < w && Y >= 0 && Y < h) out.data[Y * w + X] = mask.data[j * mask.width + i];
  }
  return out;
}
const channel0 = (m: Image): Image => (m.channels === 1 ? m : { width: m.width, height: m.height, channels: 1, data: m.data.filter((_, i) => i % m.channels === 0) });

/**
 * A separation's outputs matched to the truths (layer ambiguity), by correlation on the first
 * frame: `swap` when layer1 is the static one. Shared by the score and quality-video's rows.
 */
export function matchLayers(outs: Record<string, Image>[], dynamic: Image[], staticLayer: Image): { swap: boolean; dyn: Image[]; st: Image[] } {
  const swap = ncc(outs[0].layer1, staticLayer) + ncc(outs[0].layer2, dynamic[0]) > ncc(outs[0].layer1, dynamic[0]) + ncc(outs[0].layer2, staticLayer);
  return { swap, dyn: outs.map((o) => (swap ? o.layer2 : o.layer1)), st: outs.map((o) => (swap ? o.layer1 : o.layer2)) };
}

const segCase = (name: string, group: VideoGroup, frames: Image[], truths: Image[]): VideoCase => ({
  name, group, task: 'video-segment', frames, truths, metric: 'IoU',
  score: (rs) => mean(rs.map((r, k) => iou(r.mask, truths[k]))),
  // quality-video's "all-fg IoU": every frame's mask all foreground.
  doNothing: mean(truths.map((t) => iou(createImage(t.width, t.height, 1, 1), t))),
});
const hazeCase = (name: string, group: VideoGroup, frames: Image[], truths: Image[]): VideoCase => ({
  name, group, task: 'video-dehaze', frames, truths, metric: 'PSNR dB',
  score: (rs) => mean(rs.map((r, k) => psnr(r.dehazed, truths[k]))),
  doNothing: mean(frames.map((im, k) => psnr(im, truths[k]))),
});

/**
 * quality-video's cases of the given groups (all by default), N frames each, in its order; `scenes`
 * picks hazedev's scenes by index (all by default). Built from `shared` (../shared/data).
 */
export async function videoCases(shared: string, N: number, groups?: Set<string>, scenes?: number[]): Promise<VideoCase[]> {
  const dev = (p: string) => join(shared, 'dev', p);
  const want = (g: VideoGroup) => !groups || groups.has(g);
  const out: VideoCase[] = [];

  if (want('seg')) {
    const W = 160, H = 120;
    const horse = resizeImage(await readImage(dev('gt_masks/skimage_horse_silhouette.png'), { channels: 1 }), 80, 66);
    const shape = { ...horse, data: horse.data.map((v) => (v < 0.5 ? 1 : 0)) }; // the silhouette is black on white
    const bgWide = resizeImage(await readImage(dev('natural/jxl_wesaturate_u76c0g_bliznaca.png')), W + 4 * N, H);
    const objImg = resizeImage(await readImage(dev('natural/opencv_fruits.jpg')), W, H);
    const frames: Image[] = [], truths: Image[] = [];
    for (let k = 0; k < N; k++) {
      const bg = crop(bgWide, 4 * k, 0, W, H); // camera pans 4 px per frame
      const m = place(shape, 20 + 6 * k, 30, W, H); // the horse trots 6 px per frame
      const im = createImage(W, H, 3);
      for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) im.data[i * 3 + c] = m.data[i] >= 0.5 ? objImg.data[i * 3 + c] : bg.data[i * 3 + c];
      frames.push(im); truths.push(m);
    }
    out.push(segCase('synthetic horse over panning background', 'seg', frames, truths));
  }

  if (want('sep')) {
    const W = 160, H = 128;
    const dynWide = resizeImage(await readImage(dev('natural/skimage_astronaut.png')), W + 6 * N, H + 6 * N);
    const stat = resizeImage(await readImage(dev('natural/jxl_wesaturate_tmshre_riaphotographs.png')), W, H);
    const ms = Array.from({ length: N }, (_, k) => Math.round((0.55 + 0.2 * Math.sin(k)) * 1000) / 1000);
    const y1s: Image[] = [], frames: Image[] = [];
    for (let k = 0; k < N; k++) {
      const y1 = crop(dynWide, 6 * k, 3 * k, W, H); // the transmitted scene pans, the reflection is static (eq. 7)
      y1s.push(y1); frames.push(blend(y1, stat, ms[k]));
    }
    // As the image cases: the mean of the two layers' PSNR, each layer's PSNR the mean over frames.
    out.push({ name: 'transparency', group: 'sep', task: 'video-separate', frames, truths: y1s, staticLayer: stat, coefficients: ms, metric: 'layer PSNR dB',
      score: (rs) => {
        const { dyn, st } = matchLayers(rs, y1s, stat);
        return (mean(dyn.map((y, k) => psnr(y, y1s[k]))) + mean(st.map((y) => psnr(y, stat)))) / 2;
      },
      // Each frame as both layers (quality-video's "input vs layer" is the dynamic layer's half of this).
      doNothing: (mean(frames.map((im, k) => psnr(im, y1s[k]))) + mean(frames.map((im) => psnr(im, stat)))) / 2 });
  }

  if (want('truck')) {
    const dir = dev('video/labelme_truck_seq');
    const names = (await readdir(dir)).filter((n) => n.startsWith('frame_')).sort().slice(0, N);
    const frames: Image[] = [], truths: Image[] = [];
    for (const n of names) {
      // The clip is 1000x563: take it at 320 px wide to keep the benchmark short.
      const im = await readImage(join(dir, n));
      const w = 320, h = Math.round((im.height * w) / im.width);
      frames.push(resizeImage(im, w, h));
      truths.push(channel0(resizeImage(await readImage(join(dir, n.replace('frame_', 'mask_').replace('.jpg', '.png')), { channels: 1 }), w, h)));
    }
    out.push(segCase(`labelme truck (${frames.length} frames)`, 'truck', frames, truths));
  }

  if (want('haze')) {
    // I = t J + (1 - t) A, t = exp(-1.5 d), d from the true disparity (far = 1), A uniform.
    const W = 160, H = 128, wide = W + 4 * N;
    const J = resizeImage(await readImage(dev('gt_depth/middlebury2006_aloe_left.jpg')), wide, Math.round(wide * 0.87));
    const disp = resizeImage(await readImage(dev('gt_depth/middlebury2006_aloe_gt_disp.png'), { channels: 1 }), J.width, J.height);
    let lo = Infinity, hi = -Infinity;
    for (const v of disp.data) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const A = [0.85, 0.87, 0.9];
    const hazy = createImage(J.width, J.height, 3);
    for (let i = 0; i < J.width * J.height; i++) {
      const d = disp.data[i] > 0 ? (hi - disp.data[i]) / (hi - lo) : 1, t = Math.exp(-1.5 * d);
      for (let c = 0; c < 3; c++) hazy.data[i * 3 + c] = t * J.data[i * 3 + c] + (1 - t) * A[c];
    }
    const y0 = Math.round((J.height - H) / 2);
    const frames = Array.from({ length: N }, (_, k) => crop(hazy, 4 * k, y0, W, H)); // the camera pans 4 px per frame
    const truths = Array.from({ length: N }, (_, k) => crop(J, 4 * k, y0, W, H));
    out.push(hazeCase('haze: aloe, static scene, panning', 'haze', frames, truths));
  }

  if (want('hazedev')) {
    // The camera pans 4 px a frame over each scene; scenes were not tuned on for video (the image recipe's dev set).
    const all = await hazeScenes(shared, 200, 144);
    const W = 200 - 4 * (N - 1), H = 144;
    for (const i of scenes ?? all.map((_, i) => i)) {
      const { name, J, hazy } = all[i];
      out.push(hazeCase(`hazedev ${i} (${i % 2 ? 'check' : 'tuning'}): ${name}`, 'hazedev', Array.from({ length: N }, (_, k) => crop(hazy, 4 * k, 0, W, H)),
        Array.from({ length: N }, (_, k) => crop(J, 4 * k, 0, W, H))));
    }
  }
  return out;
}

/** Minimal shape of a video result, the same in every tree since the video tasks came in. */
interface VideoResultLike { frame(k: number, input?: Image): Record<string, Image>; report: Record<string, unknown>; dispose(): void }

/**
 * Every frame's outputs. Segmentation and dehazing are given the input frame (the mask is refined
 * and cut on it; J* is solved on it), as quality-video does; separation's outputs do not use it.
 */
export const frameOutputs = (c: Pick<VideoCase, 'task' | 'frames'>, v: VideoResultLike): Record<string, Image>[] =>
  c.frames.map((im, k) => (c.task === 'video-separate' ? v.frame(k) : v.frame(k, im)));

/**
 * One video case at the defaults (plus `extra` and `seed`) through the library of the double-dip
 * checkout at `tree`. The seconds cover the task call and the per-frame outputs (refinement, J*
 * solve): both are what a user waits for.
 */
export async function runVideoCase(tree: string, c: Pick<VideoCase, 'task' | 'frames' | 'score'>, seed: number, extra: Record<string, unknown> = {}): Promise<Outcome> {
  const lib = await import(resolve(tree, 'dist/src/index.js'));
  const run = c.task === 'video-segment' ? lib.videoSegment : c.task === 'video-separate' ? lib.videoSeparate : lib.videoDehaze;
  if (typeof run !== 'function') throw new Error(`${tree}/dist/src/index.js exports no ${c.task} function`);
  const started = performance.now();
  const v: VideoResultLike = await run(c.frames, { ...extra, seed });
  const outs = frameOutputs(c, v);
  const seconds = (performance.now() - started) / 1000;
  v.dispose();
  const report = v.report as { iterations: number; confidence?: string; concerns?: string[] };
  // The video tasks set no confidence/concerns (neither tree checks video results yet): undefined then, as the JSON shows.
  return { score: c.score(outs), seconds, iterations: report.iterations, confidence: report.confidence, concerns: report.concerns };
}
