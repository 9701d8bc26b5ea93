// How good are the automatic segmentation hints? On composites of an object (the horse
// silhouette filled with one photo, at three sizes and places) over other photos, plus two real
// photos with masks, the saliency hints are grown by GrabCut as segment() does, and the
// labelling's IoU with the truth is printed with the first colour models weighted by the saliency
// map (SEGMENT_RECIPE.saliencyPrior, off by default), from the hints alone (segment's default), and
// without the border cue. No training:
// seconds. Needs ../shared/data beside the clone.
//   node bin/fast-node.mjs dist/bench/saliency-hints.js
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../src/io/image-file.js';
import { resizeImage, toRgb } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import { saliencyHints, saliencyMap } from '../src/image/saliency.js';
import { workingHints } from '../src/tasks/segment.js';
import { grabCut } from '../src/image/grabcut.js';
import { histogramEqualise } from '../src/image/equalise.js';
import { iou } from './metrics.js';

const shared = join(process.cwd(), '..', 'shared', 'data');
if (!existsSync(shared)) { console.log(`bench/saliency-hints: ${shared} not found; this benchmark needs ../shared/data beside the clone.`); process.exit(0); }
const dev = (p: string) => join(shared, 'dev', p);
const W = 320, H = 240, SIZE = 160;
const fit = async (p: string) => resizeImage(toRgb(await readImage(dev(p))), W, H);
const binary = (m: Image) => ({ ...m, data: m.data.map((v) => (v > 0.5 ? 1 : 0)) });

/** The horse silhouette (black on white) as a 0/1 mask, `scale` of the width, top-left at (x, y). */
const silhouette = await readImage(dev('gt_masks/skimage_horse_silhouette.png'), { channels: 1 });
function placed(scale: number, x0: number, y0: number): Image {
  const w = Math.round(W * scale), h = Math.round((w * silhouette.height) / silhouette.width);
  const s = resizeImage(silhouette, w, h), m = createImage(W, H, 1);
  for (let y = 0; y < h && y + y0 < H; y++) for (let x = 0; x < w && x + x0 < W; x++) m.data[(y + y0) * W + x + x0] = s.data[y * w + x] < 0.5 ? 1 : 0;
  return m;
}
function composite(object: Image, background: Image, m: Image): Image {
  const out = createImage(W, H, 3);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) out.data[i * 3 + c] = m.data[i] * object.data[i * 3 + c] + (1 - m.data[i]) * background.data[i * 3 + c];
  return out;
}

const cases: { name: string; image: Image; truth: Image }[] = [];
for (const o of ['opencv_fruits.jpg', 'opencv_baboon.jpg', 'kpa_spiff.jpg'])
  for (const b of ['jxl_wesaturate_u76c0g_bliznaca.png', 'skimage_coffee.png', 'kpa_snow.jpg', 'jxl_wesaturate_cvo9xd_keong_macan.png'])
    for (const [scale, x, y] of [[0.6, 60, 40], [0.45, 20, 100], [0.5, 150, 60]]) {
      const m = placed(scale, x, y);
      cases.push({ name: `${o.split('.')[0]} on ${b.split('.')[0]} (${scale})`, image: composite(await fit(`natural/${o}`), await fit(`natural/${b}`), m), truth: m });
    }
cases.push({ name: 'voc 2011_000003 (every object)', image: toRgb(await readImage(dev('gt_masks/voc_2011_000003.jpg'))), truth: await readImage(dev('gt_masks/voc_2011_000003_mask_allfg.png'), { channels: 1 }) });
// The plant's alpha matte is OpenCV's result, not a ground truth; thresholded it is close enough here.
cases.push({ name: 'plant (alpha matte > 0.5)', image: toRgb(await readImage(dev('gt_masks/opencv_alphamat_plant.jpg'))), truth: binary(await readImage(dev('gt_masks/opencv_alphamat_plant_result_NOT_GT.png'), { channels: 1 })) });

/** GrabCut labelling from the hints of a saliency map, at SIZE px wide, against the truth; prior: its first models weighted by the equalised saliency (SEGMENT_RECIPE.saliencyPrior). */
function hintIou(image: Image, truth: Image, saliency: Image, prior: boolean): number {
  const size = { width: SIZE, height: Math.round((SIZE * image.height) / image.width) };
  const h = workingHints(image, { ...saliencyHints(saliency), source: 'saliency' }, size, false);
  return iou(grabCut(resizeImage(image, size.width, size.height), h.fg, h.bg,
    { start: 'hints', ...(prior ? { prior: histogramEqualise(resizeImage(saliency, size.width, size.height)) } : {}) }), resizeImage(truth, size.width, size.height));
}

console.log('| case | IoU with border cue and the saliency prior | border cue, hints alone (segment) | neither |\n|---|---|---|---|');
const sums = [0, 0, 0];
for (const c of cases) {
  const withCue = saliencyMap(c.image), withoutCue = saliencyMap(c.image, { borderCue: false });
  const r = [hintIou(c.image, c.truth, withCue, true), hintIou(c.image, c.truth, withCue, false), hintIou(c.image, c.truth, withoutCue, false)];
  r.forEach((v, k) => { sums[k] += v; });
  console.log(`| ${c.name} | ${r.map((v) => v.toFixed(3)).join(' | ')} |`);
}
console.log(`| **mean of ${cases.length}** | ${sums.map((v) => (v / cases.length).toFixed(3)).join(' | ')} |`);
