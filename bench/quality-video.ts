// Quality benchmark for video decomposition, on clips with ground truth:
//   seg    a horse-shaped piece of one photo moving over a panning second photo (exact masks)
//   sep    a dynamic layer panning over a static one, mixed with known per-frame coefficients (eq. 7)
//   truck  the labelled labelme truck sequence (frames + masks)
//   haze   a static scene under haze (Middlebury Aloe, haze from its true depth), the camera panning;
//          video dehazing against DCP frame by frame
//   hazedev the dev set's eight dehazing scenes (bench/devset.ts: real and smooth depth, uniform and
//          varying airlight) at 200x144, the camera panning over each; halves as the dev set's
// Reports per-frame IoU / PSNR, mask flicker (mean |m_{i+1} - m_i|, against the ground truth's),
// seconds per frame, and for segmentation the frame-by-frame single-image baseline (segment()).
// Iterations default to the product's (the same recipe length for the video and the per-frame baseline).
//   node bin/fast-node.mjs dist/bench/quality-video.js [--cases seg,sep,truck] [--frames 8] [--iterations N]
//     [--scenes 0,2,...: hazedev's scenes] [--baseline-iterations N] [--size 128] [--batch 4] [--threads N] [--hints first|each|none] [--baseline yes|no] [--seed S]
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readImage, writeImage } from '../src/io/image-file.js';
import { resizeImage } from '../src/image/resize.js';
import { createImage, type Image } from '../src/image/image.js';
import { segment } from '../src/tasks/segment.js';
import { flicker, videoDehaze, videoSegment, videoSeparate, type VideoOptions } from '../src/tasks/video.js';
import { dehazeDcp } from '../src/tasks/dcp.js';
import { iou, ncc, psnr, ssim } from './metrics.js';
import { hazeScenes } from './devset.js';

const { values } = parseArgs({ options: {
  cases: { type: 'string', default: 'seg,sep,truck,haze' }, scenes: { type: 'string' }, frames: { type: 'string', default: '8' }, iterations: { type: 'string' },
  'baseline-iterations': { type: 'string' }, size: { type: 'string', default: '128' }, batch: { type: 'string', default: '4' },
  threads: { type: 'string' }, hints: { type: 'string' }, baseline: { type: 'string', default: 'yes' }, seed: { type: 'string' },
} });
const shared = join(process.cwd(), '..', 'shared', 'data');
const sharedAbs = existsSync(shared) ? shared : '/work/shared/data';
if (!existsSync(sharedAbs)) { console.log(`bench/quality-video: ${shared} not found; this benchmark needs the shared data (../shared/data).`); process.exit(0); }
const dev = (p: string) => join(sharedAbs, 'dev', p);
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const N = Number(values.frames), size = Number(values.size), threads = num(values.threads);
const opts: VideoOptions = { iterations: num(values.iterations), size, batch: Number(values.batch), threads, seed: num(values.seed), hints: values.hints as VideoOptions['hints'],
  onProgress: (p) => { if (p.iteration % 100 === 0) process.stderr.write(`  ${p.iteration}/${p.total} (${p.phase}) psnr ${p.psnr.toFixed(2)} ${p.elapsed.toFixed(0)} s\n`); } };
const baselineIterations = num(values['baseline-iterations']);
const cases = new Set(values.cases!.split(','));
const rows: string[] = [];
const row = (r: string) => { rows.push(r); process.stderr.write(r + '\n'); };
const results: Record<string, unknown> = { settings: { frames: N, size, iterations: opts.iterations, baselineIterations, batch: opts.batch, threads, seed: opts.seed } };
const f = (v: number, d = 2) => v.toFixed(d);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const list = (xs: number[], d = 3) => xs.map((x) => f(x, d)).join(' ');

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
const blend = (a: Image, b: Image, m: number): Image => ({ ...a, data: a.data.map((v, i) => m * v + (1 - m) * b.data[i]) });
const channel0 = (m: Image): Image => (m.channels === 1 ? m : { width: m.width, height: m.height, channels: 1, data: m.data.filter((_, i) => i % m.channels === 0) });

async function segmentationCase(name: string, frames: Image[], truths: Image[]) {
  process.stderr.write(`${name}: video segmentation of ${frames.length} frames\n`);
  const v = await videoSegment(frames, opts);
  const masks = frames.map((im, k) => v.frame(k, im).mask);
  v.dispose();
  const ious = masks.map((m, k) => iou(m, truths[k]));
  const vSec = v.report.seconds as number / frames.length;
  process.stderr.write(`${name}: single-image baseline, ${baselineIterations ?? 'default'} iterations per frame\n`);
  const base: Image[] = [];
  let bSec = 0, baseIt = 0;
  for (const im of values.baseline === 'no' ? [] : frames) {
    const r = await segment(im, { size, iterations: baselineIterations, threads, seed: opts.seed });
    base.push(r.images.mask);
    bSec += r.report.seconds;
    baseIt = r.report.iterations;
  }
  const bIous = base.map((m, k) => iou(m, truths[k]));
  // Each frame's input, truth and masks, to look at: out/bench/<case>/frame-K-*.png.
  const dir = join('out', 'bench', name);
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < frames.length; k++) {
    const out = { input: frames[k], truth: truths[k], 'video-mask': masks[k], ...(base[k] ? { 'per-frame-mask': base[k] } : {}) };
    for (const [what, img] of Object.entries(out)) await writeImage(join(dir, `frame-${k + 1}-${what}.png`), img);
  }
  const gtFlicker = flicker(truths), vFlicker = flicker(masks), bFlicker = base.length ? flicker(base) : NaN;
  // Reference points: the IoU of an all-foreground mask, and each method's foreground fraction.
  const allFg = mean(truths.map((t) => iou(createImage(t.width, t.height, 1, 1), t)));
  const cover = (ms: Image[]) => mean(ms.map((m) => mean(Array.from(m.data, (v) => (v >= 0.5 ? 1 : 0)))));
  row(`| ${name} | video (batch ${opts.batch}, ${v.report.iterations} it, hints ${v.report.hints}) | ${f(mean(ious), 3)} | ${list(ious)} | ${f(vFlicker, 4)} | ${f(gtFlicker, 4)}; fg fraction ${f(cover(masks))} vs ${f(cover(truths))}; all-fg IoU ${f(allFg, 3)} | ${f(v.report.psnr as number)} | ${f(vSec)} |`);
  if (base.length) row(`| ${name} | per-frame segment() (${baseIt} it each) | ${f(mean(bIous), 3)} | ${list(bIous)} | ${f(bFlicker, 4)} | ${f(gtFlicker, 4)}; fg fraction ${f(cover(base))} | | ${f(bSec / frames.length)} |`);
  results[name] = { allFgIou: allFg, fgFraction: { video: cover(masks), baseline: cover(base), truth: cover(truths) }, video: { iou: ious, flicker: vFlicker, secondsPerFrame: vSec, psnr: v.report.psnr }, baseline: { iou: bIous, flicker: bFlicker, secondsPerFrame: bSec / frames.length }, gtFlicker };
}

if (cases.has('seg')) {
  const W = 160, H = 120;
  const horse = resizeImage(await readImage(dev('gt_masks/skimage_horse_silhouette.png'), { channels: 1 }), 80, 66);
  const shape = { ...horse, data: horse.data.map((v) => (v < 0.5 ? 1 : 0)) }; // the silhouette is black on white
  const bgWide = resizeImage(await readImage(dev('natural/jxl_wesaturate_u76c0g_bliznaca.png')), W + 4 * N, H);
  const objImg = resizeImage(await readImage(dev('natural/opencv_fruits.jpg')), W, H);
  const frames: Image[] = [], truths: Image[] = [];
  for (let k = 0; k < N; k++) {
    const bg = crop(bgWide, 4 * k, 0, W, H); // camera pans 4 px per frame
    const m = place(shape, 20 + 6 * k, 30, W, H); // the horse trots 6 px per frame
    const out = createImage(W, H, 3);
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) out.data[i * 3 + c] = m.data[i] >= 0.5 ? objImg.data[i * 3 + c] : bg.data[i * 3 + c];
    frames.push(out); truths.push(m);
  }
  await segmentationCase('synthetic horse over panning background', frames, truths);
}

if (cases.has('sep')) {
  const W = 160, H = 128;
  const dynWide = resizeImage(await readImage(dev('natural/skimage_astronaut.png')), W + 6 * N, H + 6 * N);
  const stat = resizeImage(await readImage(dev('natural/jxl_wesaturate_tmshre_riaphotographs.png')), W, H);
  const ms = Array.from({ length: N }, (_, k) => Math.round((0.55 + 0.2 * Math.sin(k)) * 1000) / 1000);
  const y1s: Image[] = [], frames: Image[] = [];
  for (let k = 0; k < N; k++) {
    const y1 = crop(dynWide, 6 * k, 3 * k, W, H); // the transmitted scene pans, the reflection is static (eq. 7)
    y1s.push(y1); frames.push(blend(y1, stat, ms[k]));
  }
  process.stderr.write(`transparency: ${N} frames\n`);
  const v = await videoSeparate(frames, { ...opts, hints: undefined }); // hints are segmentation's
  const outs = frames.map((_, k) => v.frame(k));
  v.dispose();
  // Layer ambiguity: match the outputs to the truths by correlation.
  const swap = ncc(outs[0].layer1, stat) + ncc(outs[0].layer2, y1s[0]) > ncc(outs[0].layer1, y1s[0]) + ncc(outs[0].layer2, stat);
  const dyn = outs.map((o, k) => (swap ? o.layer2 : o.layer1)), st = outs.map((o) => (swap ? o.layer1 : o.layer2));
  const p1 = dyn.map((y, k) => psnr(y, y1s[k])), p2 = st.map((y) => psnr(y, stat));
  const n1 = dyn.map((y, k) => ncc(y, y1s[k]));
  const coef = (v.report.coefficients as number[]).map((c) => (swap ? 1 - c : c));
  const inputP = frames.map((im, k) => psnr(im, y1s[k]));
  const vSec = v.report.seconds as number / N;
  row(`| transparency: dynamic layer | video separate | ${f(mean(p1))} dB | ${list(p1, 1)} (NCC ${list(n1, 2)}) | | input vs layer: ${f(mean(inputP))} dB | ${f(v.report.psnr as number)} | ${f(vSec)} |`);
  row(`| transparency: static layer | video separate | ${f(mean(p2))} dB | ${list(p2, 1)} | | | | |`);
  row(`| transparency: coefficients | learned vs true | ${f(mean(coef.map((c, k) => Math.abs(c - ms[k]))), 3)} mean abs err | ${list(coef)} vs ${list(ms)} | | | | |`);
  results.transparency = { dynamicPsnr: p1, dynamicNcc: n1, staticPsnr: p2, coefficients: coef, trueCoefficients: ms, swapped: swap, secondsPerFrame: vSec, inputPsnr: inputP };
}

if (cases.has('truck')) {
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
  await segmentationCase(`labelme truck (${frames.length} frames)`, frames, truths);
}

/** Video dehazing of frames with known clean frames, against DCP frame by frame; `name` labels the rows and results. */
async function hazeCase(name: string, frames: Image[], truths: Image[]) {
  process.stderr.write(`${name}: video dehazing of ${frames.length} frames\n`);
  const v = await videoDehaze(frames, { ...opts, hints: undefined });
  const both = frames.map((im, k) => v.frame(k, im));
  const outs = both.map((o) => o.dehazed), nets = both.map((o) => o['J-net']);
  v.dispose();
  const pn = nets.map((o, k) => psnr(o, truths[k])), qn = nets.map((o, k) => ssim(o, truths[k]));
  const p = outs.map((o, k) => psnr(o, truths[k])), q = outs.map((o, k) => ssim(o, truths[k]));
  const dcp = frames.map((im) => dehazeDcp(im).images.dehazed);
  const pd = dcp.map((o, k) => psnr(o, truths[k])), qd = dcp.map((o, k) => ssim(o, truths[k]));
  const pin = frames.map((im, k) => psnr(im, truths[k]));
  // Temporal consistency: mean |change| between consecutive frames' outputs, where the truth changes only by the pan.
  const change = (xs: Image[]) => mean(xs.slice(1).map((x, k) => mean(Array.from(x.data, (val, i) => Math.abs(val - xs[k].data[i])))));
  const vSec = v.report.seconds as number / frames.length;
  row(`| ${name} | video dehaze (${v.report.iterations} it) | ${f(mean(p))} dB, SSIM ${f(mean(q), 3)} | ${list(p, 1)} | ${f(change(outs), 4)} | truth ${f(change(truths), 4)}; hazy input ${f(mean(pin))} dB | ${f(v.report.psnr as number)} | ${f(vSec)} |`);
  row(`| ${name} | video dehaze, J net output | ${f(mean(pn))} dB, SSIM ${f(mean(qn), 3)} | ${list(pn, 1)} | ${f(change(nets), 4)} | | | |`);
  row(`| ${name} | DCP frame by frame | ${f(mean(pd))} dB, SSIM ${f(mean(qd), 3)} | ${list(pd, 1)} | ${f(change(dcp), 4)} | | | < 1 |`);
  results[name] = { video: { psnr: p, ssim: q, change: change(outs), secondsPerFrame: vSec, iterations: v.report.iterations, processedSize: v.report.processedSize }, jNet: { psnr: pn, ssim: qn, change: change(nets) },
    dcp: { psnr: pd, ssim: qd, change: change(dcp) }, inputPsnr: pin, truthChange: change(truths) };
}

if (cases.has('haze')) {
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
  await hazeCase('haze: aloe, static scene, panning', frames, truths);
}

if (cases.has('hazedev')) {
  // The camera pans 4 px a frame over each scene; scenes were not tuned on for video (the image recipe's dev set).
  const scenes = await hazeScenes(sharedAbs, 200, 144);
  const W = 200 - 4 * (N - 1), H = 144;
  const pick = values.scenes ? values.scenes.split(',').map(Number) : scenes.map((_, i) => i);
  for (const i of pick) {
    const { name, J, hazy } = scenes[i];
    await hazeCase(`hazedev ${i} (${i % 2 ? 'check' : 'tuning'}): ${name}`, Array.from({ length: N }, (_, k) => crop(hazy, 4 * k, 0, W, H)),
      Array.from({ length: N }, (_, k) => crop(J, 4 * k, 0, W, H)));
  }
}

console.log(`\nsettings: ${JSON.stringify(results.settings)}\n`);
console.log('| case | method | mean IoU / PSNR | per frame | flicker | gt flicker / note | recon PSNR dB | s per frame |\n|---|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
await mkdir(join('out', 'bench'), { recursive: true });
await writeFile(join('out', 'bench', 'quality-video.json'), JSON.stringify(results, null, 2) + '\n');
