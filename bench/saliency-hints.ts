// How good are the automatic segmentation hints? On composites of an object (the horse
// silhouette filled with one photo, at three sizes and places) over other photos, sharp and with the
// background defocused, plus two real photos with masks, the saliency hints are grown by GrabCut at
// segment()'s working size and the labelling's IoU with the truth is printed: with the first colour
// models weighted by the saliency map (the prior), from the hints alone, as segment() does by
// default (the prior only when the focus ratio reaches SEGMENT_RECIPE.saliencyPriorFocus: inFocusOverDefocused), and from
// the hints alone without the border cue. The first set (fruits, baboon, spiff over four photos,
// sharp and defocused 4 px) chose the focus threshold with the dev set's tuning half; the second
// (apple, astronaut, riaphotographs over four others, defocused 0, 2, 4, 6 px) was held back.
// Then the same composites with a box around the object (the truth's, 5% margin): GrabCut's labelling
// from the box with colour alone and with focus in the cut (segment's default where the core is in
// focus over the outside: SEGMENT_RECIPE.focusCut).
// No training: a few minutes. Needs ../shared/data beside the clone.
//   node bin/fast-node.mjs dist/bench/saliency-hints.js
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../src/io/image-file.js';
import { resizeImage, toRgb } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import { saliencyHints, saliencyMap } from '../src/image/saliency.js';
import { focusCut, inFocusOverDefocused, segmentSize, workingHints } from '../src/tasks/segment.js';
import { hintsFromBox } from '../src/tasks/hints.js';
import { focusRatio } from '../src/image/focus.js';
import { defocus } from './devset.js';
import { grabCut } from '../src/image/grabcut.js';
import { histogramEqualise } from '../src/image/equalise.js';
import { iou } from './metrics.js';
import { boxAround } from './cases.js';

const shared = join(process.cwd(), '..', 'shared', 'data');
if (!existsSync(shared)) { console.log(`bench/saliency-hints: ${shared} not found; this benchmark needs ../shared/data beside the clone.`); process.exit(0); }
const dev = (p: string) => join(shared, 'dev', p);
const W = 320, H = 240;
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

const cases: { set: string; name: string; image: Image; truth: Image }[] = [];
const sets = [
  { set: 'first', objects: ['opencv_fruits.jpg', 'opencv_baboon.jpg', 'kpa_spiff.jpg'], backgrounds: ['jxl_wesaturate_u76c0g_bliznaca.png', 'skimage_coffee.png', 'kpa_snow.jpg', 'jxl_wesaturate_cvo9xd_keong_macan.png'], blurs: [0, 4] },
  { set: 'held back', objects: ['opencv_apple.jpg', 'skimage_astronaut.png', 'jxl_wesaturate_tmshre_riaphotographs.png'], backgrounds: ['skimage_chelsea.png', 'opencv_fruits.jpg', 'skimage_rocket.jpg', 'opencv_butterfly.jpg'], blurs: [0, 2, 4, 6] },
];
for (const { set, objects, backgrounds, blurs } of sets) for (const blur of blurs) for (const o of objects) for (const b of backgrounds)
  for (const [scale, x, y] of [[0.6, 60, 40], [0.45, 20, 100], [0.5, 150, 60]]) {
    const m = placed(scale, x, y), bg = await fit(`natural/${b}`);
    cases.push({ set: `${set}, ${blur ? `background defocused ${blur} px` : 'sharp'}`, name: `${o.split('.')[0]} on ${b.split('.')[0]} (${scale})`,
      image: composite(await fit(`natural/${o}`), blur ? defocus(bg, blur) : bg, m), truth: m });
  }
cases.push({ set: 'real', name: 'voc 2011_000003 (every object)', image: toRgb(await readImage(dev('gt_masks/voc_2011_000003.jpg'))), truth: await readImage(dev('gt_masks/voc_2011_000003_mask_allfg.png'), { channels: 1 }) });
// The plant's alpha matte is OpenCV's result, not a ground truth; thresholded it is close enough here.
cases.push({ set: 'real', name: 'plant (alpha matte > 0.5)', image: toRgb(await readImage(dev('gt_masks/opencv_alphamat_plant.jpg'))), truth: binary(await readImage(dev('gt_masks/opencv_alphamat_plant_result_NOT_GT.png'), { channels: 1 })) });

/** GrabCut labelling from the hints of a saliency map at segment's working size, against the truth; prior: as workingHints takes it (true, false or segment's default). */
function hintIou(image: Image, truth: Image, saliency: Image, prior: boolean | 'when-defocused'): { iou: number; focus: number } {
  const size = segmentSize(image.width, image.height);
  const hints = { ...saliencyHints(saliency), source: 'saliency' as const, saliency };
  const h = workingHints(image, hints, size, false), small = resizeImage(image, size.width, size.height);
  const focus = focusRatio(small, h.fg, h.bg);
  const on = prior === 'when-defocused' ? inFocusOverDefocused(focus) : prior;
  return { focus, iou: iou(grabCut(small, h.fg, h.bg, { start: 'hints', ...(on ? { prior: histogramEqualise(resizeImage(saliency, size.width, size.height)) } : {}) }), resizeImage(truth, size.width, size.height)) };
}

const f = (v: number) => v.toFixed(3);
console.log('| set | case | focus ratio | with the saliency prior | hints alone | segment\'s default | hints alone, no border cue |\n|---|---|---|---|---|---|---|');
const bySet = new Map<string, number[][]>();
for (const c of cases) {
  const withCue = saliencyMap(c.image), withoutCue = saliencyMap(c.image, { borderCue: false });
  const gated = hintIou(c.image, c.truth, withCue, 'when-defocused');
  const r = [hintIou(c.image, c.truth, withCue, true).iou, hintIou(c.image, c.truth, withCue, false).iou, gated.iou, hintIou(c.image, c.truth, withoutCue, false).iou];
  bySet.set(c.set, [...(bySet.get(c.set) ?? []), r]);
  console.log(`| ${c.set} | ${c.name} | ${gated.focus.toFixed(1)} | ${r.map(f).join(' | ')} |`);
}
console.log('\n| set | images | with the saliency prior | hints alone | segment\'s default | hints alone, no border cue | default vs hints alone: better / worse by > 0.05 |\n|---|---|---|---|---|---|---|');
for (const [set, rows] of bySet) {
  const mean = (k: number) => f(rows.reduce((s, r) => s + r[k], 0) / rows.length);
  console.log(`| ${set} | ${rows.length} | ${mean(0)} | ${mean(1)} | ${mean(2)} | ${mean(3)} | ${rows.filter((r) => r[2] - r[1] > 0.05).length} / ${rows.filter((r) => r[1] - r[2] > 0.05).length} |`);
}

/** GrabCut labelling from a box around the truth, colour alone and as segment's default (focus in the cut when gated). */
function boxIou(image: Image, truth: Image): { focus: number; alone: number; auto: number } {
  const size = segmentSize(image.width, image.height);
  const h = workingHints(image, hintsFromBox(boxAround(truth), image.width, image.height), size, false), small = resizeImage(image, size.width, size.height);
  const focus = focusRatio(small, h.fg, h.bg), t = resizeImage(truth, size.width, size.height);
  return { focus, alone: iou(grabCut(small, h.fg, h.bg, { start: 'box' }), t), auto: iou(grabCut(small, h.fg, h.bg, { start: 'box', ...focusCut(small, h.bg, 'box', focus) }), t) };
}

console.log('\n| set | case | focus ratio (box) | box: colour alone | box: segment\'s default |\n|---|---|---|---|---|');
const boxBySet = new Map<string, number[][]>();
for (const c of cases) {
  const r = boxIou(c.image, c.truth);
  boxBySet.set(c.set, [...(boxBySet.get(c.set) ?? []), [r.alone, r.auto]]);
  console.log(`| ${c.set} | ${c.name} | ${r.focus.toFixed(1)} | ${f(r.alone)} | ${f(r.auto)} |`);
}
console.log('\n| set | images | box: colour alone | box: segment\'s default | better / worse by > 0.05 |\n|---|---|---|---|---|');
for (const [set, rows] of boxBySet) {
  const mean = (k: number) => f(rows.reduce((s, r) => s + r[k], 0) / rows.length);
  console.log(`| ${set} | ${rows.length} | ${mean(0)} | ${mean(1)} | ${rows.filter((r) => r[1] - r[0] > 0.05).length} / ${rows.filter((r) => r[0] - r[1] > 0.05).length} |`);
}
