// Quality benchmark for segmentation and transparency separation: synthetic cases with exact
// ground truth built from real photos in ../shared/data/dev, run at the default settings, plus
// the authors' demo inputs. Prints a markdown table; outputs go to out/bench/<case>/ to look at.
//   node bin/fast-node.mjs dist/bench/quality.js [--cases seg,two,one,demo] [--box-only | --auto-only] [--iterations N] [--size S] [--seed N] [--recipe JSON]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readImage } from '../src/io/image-file.js';
import { pickOptions } from '../src/tasks/options.js';
import { writeTaskResult } from '../src/io/outputs.js';
import { resizeImage } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import { segment, segmentSize, workingHints } from '../src/tasks/segment.js';
import { grabCut } from '../src/image/grabcut.js';
import { threshold } from '../src/image/mask.js';
import { separate } from '../src/tasks/separate.js';
import type { TaskOptions, TaskResult } from '../src/tasks/common.js';
import { saliencyHintsFor, type Box } from '../src/image/hints.js';
import { hintsFromBox } from '../src/tasks/hints.js';
import { iou, ncc, psnr, ssim } from './metrics.js';
import { blend, boxAround, composite } from './cases.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: 'seg,two,one,demo' }, iterations: { type: 'string' }, size: { type: 'string' }, 'box-only': { type: 'boolean' }, 'auto-only': { type: 'boolean' }, seed: { type: 'string' }, recipe: { type: 'string' } } });
const shared = join(process.cwd(), '..', 'shared', 'data');
if (!existsSync(shared)) { console.log(`bench/quality: ${shared} not found; this benchmark needs ../shared/data beside the clone.`); process.exit(0); }
const dev = (p: string) => join(shared, 'dev', p);
// --recipe: task options as JSON (e.g. '{"freeUnknown":false}' for segmentation), to compare recipes.
const opts: TaskOptions = { iterations: values.iterations ? Number(values.iterations) : undefined, size: values.size ? Number(values.size) : undefined,
  seed: values.seed ? Number(values.seed) : undefined, ...(values.recipe ? JSON.parse(values.recipe) : {}),
  onProgress: (p) => { if (p.iteration % 250 === 0) process.stderr.write(`  ${p.iteration}/${p.total} psnr ${p.psnr.toFixed(2)}\n`); } };
const cases = new Set(values.cases!.split(','));
const rows: string[] = [];
const W = 256;

const fit = async (p: string, w = W, h = W) => resizeImage(await readImage(p), w, h);
const save = (name: string, r: TaskResult) => writeTaskResult(join('out', 'bench', name), r);
const f = (v: number, d = 2) => v.toFixed(d);

async function segCase(name: string, image: Image, truth: Image, extra: Parameters<typeof segment>[1] = {}) {
  const r = await segment(image, { ...opts, ...extra });
  await save(name, { ...r, images: { ...r.images, input: image, truth } });
  const allFg = createImage(truth.width, truth.height, 1, 1);
  rows.push(`| ${name} | segmentation IoU | ${f(iou(r.images.mask, truth), 3)} | ${f(iou(allFg, truth), 3)} (all-fg mask); ${f(iou(grabCutAlone(image, extra.box), truth), 3)} (GrabCut alone) | ${f(r.report.psnr)} | ${f(r.report.seconds, 0)} |`);
}

/** The GrabCut labelling that grows the hints, taken as the mask: what the DIPs add beyond it. */
function grabCutAlone(image: Image, box?: Box): Image {
  const size = segmentSize(image.width, image.height, opts.size);
  const h = workingHints(image, box ? hintsFromBox(box, image.width, image.height) : saliencyHintsFor(image), size, false);
  return threshold(resizeImage(grabCut(resizeImage(image, size.width, size.height), h.fg, h.bg, { start: box ? 'box' : 'hints' }), image.width, image.height));
}

async function layerCase(name: string, inputs: Image[], truths: [Image, Image]) {
  const r = await separate(inputs, pickOptions('separate', opts)); // a segmentation --recipe does not apply
  await save(name, r);
  const [l1, l2] = [r.images.layer1, r.images.layer2];
  const direct = ncc(l1, truths[0]) + ncc(l2, truths[1]), swapped = ncc(l1, truths[1]) + ncc(l2, truths[0]);
  const [a, b] = direct >= swapped ? [l1, l2] : [l2, l1];
  truths.forEach((t, k) => {
    const out = k === 0 ? a : b;
    const base = inputs[Math.min(k, inputs.length - 1)];
    rows.push(`| ${name} layer ${k + 1} | PSNR / SSIM / NCC | ${f(psnr(out, t))} / ${f(ssim(out, t), 3)} / ${f(ncc(out, t), 3)} | ` +
      `${f(psnr(base, t))} / ${f(ssim(base, t), 3)} / ${f(ncc(base, t), 3)} (input) | ${f(r.report.psnr)} | ${f(r.report.seconds, 0)} |`);
  });
  if (r.images['layer1-net']) {
    // Paired on their own: estimated coefficients may name the layers in the other order than the DIPs.
    const [m1, m2] = [r.images['layer1-net'], r.images['layer2-net']];
    const [n1, n2] = ncc(m1, truths[0]) + ncc(m2!, truths[1]) >= ncc(m1, truths[1]) + ncc(m2!, truths[0]) ? [m1, m2!] : [m2!, m1];
    truths.forEach((t, k) => { const out = k === 0 ? n1 : n2; rows.push(`| ${name} layer ${k + 1}, DIP output (--layers net) | PSNR / SSIM / NCC | ${f(psnr(out, t))} / ${f(ssim(out, t), 3)} / ${f(ncc(out, t), 3)} | | | |`); });
  }
  if (r.report.coefficients) rows.push(`| ${name} | coefficients | ${(r.report.coefficients as number[]).map((c) => f(c, 3)).join(', ')} | | | |`);
}

if (cases.has('seg')) {
  const horse = resizeImage(await readImage(dev('gt_masks/skimage_horse_silhouette.png'), { channels: 1 }), 320, 262);
  const inv = { ...horse, data: horse.data.map((v) => 1 - v) }; // the silhouette is black on white
  const obj = await fit(dev('natural/opencv_fruits.jpg'), 320, 262), bg = await fit(dev('natural/jxl_wesaturate_u76c0g_bliznaca.png'), 320, 262);
  const horseImage = composite(obj, bg, inv);
  const voc = await readImage(dev('gt_masks/voc_2011_000003.jpg'));
  const vocMask = await readImage(dev('gt_masks/voc_2011_000003_mask_largest_object.png'), { channels: 1 });
  if (!values['box-only']) {
    await segCase('horse-composite (auto hints)', horseImage, inv);
    await segCase('voc-2011-000003 (auto hints)', voc, vocMask);
  }
  // The silhouette fills its frame, so a box around it would be the whole image: for the box
  // hint the horse is pasted at 60% size, off-centre.
  const small = resizeImage(inv, 192, 157), placed = createImage(320, 262, 1);
  for (let y = 0; y < small.height; y++) for (let x = 0; x < small.width; x++) placed.data[(y + 70) * 320 + x + 100] = small.data[y * small.width + x] >= 0.5 ? 1 : 0;
  if (!values['auto-only']) {
    await segCase('horse-composite small (box)', composite(obj, bg, placed), placed, { box: boxAround(placed) });
    await segCase('voc-2011-000003 (box)', voc, vocMask, { box: boxAround(vocMask) });
  }
}
if (cases.has('two')) {
  const a = await fit(dev('natural/skimage_astronaut.png')), b = await fit(dev('natural/jxl_wesaturate_tmshre_riaphotographs.png'));
  await layerCase('two mixtures 0.3 and 0.7', [blend(a, b, 0.3), blend(a, b, 0.7)], [a, b]);
}
if (cases.has('one')) {
  const a = await fit(dev('natural/opencv_baboon.jpg')), b = await fit(dev('natural/skimage_coffee.png'));
  await layerCase('one mixture 0.5', [blend(a, b, 0.5)], [a, b]);
}
if (cases.has('demo')) {
  const demo = (p: string) => join(shared, 'authors-demo', p);
  if (existsSync(demo('input1.jpg'))) {
    const r = await separate([await readImage(demo('input1.jpg')), await readImage(demo('input2.jpg'))], pickOptions('separate', opts));
    await save('authors-input1-input2', r);
    rows.push(`| authors input1+input2 (layers ${r.report.layers}) | reconstruction PSNR | ${f(r.report.psnr)} | coefficients ${(r.report.coefficients as number[]).map((c) => f(c, 3))} | ${f(r.report.psnr)} | ${f(r.report.seconds, 0)} |`);
    const t12 = await readImage(demo('texture12.jpg')), t16 = resizeImage(await readImage(demo('texture16.jpg')), t12.width, t12.height);
    const avg = blend(t12, t16, 0.5);
    const s = await separate([avg], { ...pickOptions('separate', opts), model: 'sum' });
    await save('authors-texture12+16', s);
    const direct = ncc(s.images.layer1, t12) + ncc(s.images.layer2, t16), swapped = ncc(s.images.layer1, t16) + ncc(s.images.layer2, t12);
    rows.push(`| authors texture12+16 (sum) | reconstruction PSNR; NCC to textures | ${f(s.report.psnr)}; ${f(Math.max(direct, swapped) / 2, 3)} | NCC input ${f((ncc(avg, t12) + ncc(avg, t16)) / 2, 3)} | ${f(s.report.psnr)} | ${f(s.report.seconds, 0)} |`);
  }
}

console.log('\n| case | metric | double-dip | do-nothing baseline | recon PSNR dB | seconds |\n|---|---|---|---|---|---|');
console.log(rows.join('\n'));
