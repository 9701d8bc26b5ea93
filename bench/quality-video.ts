// Quality benchmark for video decomposition, on clips with ground truth:
//   seg    a horse-shaped piece of one photo moving over a panning second photo (exact masks)
//   sep    a dynamic layer panning over a static one, mixed with known per-frame coefficients (eq. 7)
//   truck  the labelled labelme truck sequence (frames + masks)
//   haze   a static scene under haze (Middlebury Aloe, haze from its true depth), the camera panning;
//          video dehazing against DCP frame by frame
//   hazedev the dev set's eight dehazing scenes (bench/devset.ts: real and smooth depth, uniform and
//          varying airlight) at 200x144, the camera panning over each; halves as the dev set's
// The clips are built in bench/video-cases.ts (bench/time-to-quality.ts --set video runs them too).
// Reports per-frame IoU / PSNR, mask flicker (mean |m_{i+1} - m_i|, against the ground truth's),
// seconds per frame, and for segmentation the frame-by-frame single-image baseline (segment()).
// Iterations default to the product's (the same recipe length for the video and the per-frame baseline).
//   node bin/fast-node.mjs dist/bench/quality-video.js [--cases seg,sep,truck] [--frames 8] [--iterations N]
//     [--scenes 0,2,...: hazedev's scenes] [--baseline-iterations N] [--size 128] [--batch 4] [--threads N] [--hints first|each|none] [--baseline yes|no] [--seed S]
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeImage } from '../src/io/image-file.js';
import type { Image } from '../src/image/image.js';
import { segment } from '../src/tasks/segment.js';
import { flicker, videoDehaze, videoSegment, videoSeparate, type VideoOptions } from '../src/tasks/video.js';
import { dehazeDcp } from '../src/tasks/dcp.js';
import { iou, ncc, psnr, ssim } from './metrics.js';
import { frameOutputs, matchLayers, videoCases, type VideoCase } from './video-cases.js';

const { values } = parseArgs({ options: {
  cases: { type: 'string', default: 'seg,sep,truck,haze' }, scenes: { type: 'string' }, frames: { type: 'string', default: '8' }, iterations: { type: 'string' },
  'baseline-iterations': { type: 'string' }, size: { type: 'string', default: '128' }, batch: { type: 'string', default: '4' },
  threads: { type: 'string' }, hints: { type: 'string' }, baseline: { type: 'string', default: 'yes' }, seed: { type: 'string' },
} });
const shared = join(process.cwd(), '..', 'shared', 'data');
const sharedAbs = existsSync(shared) ? shared : '/work/shared/data';
if (!existsSync(sharedAbs)) { console.log(`bench/quality-video: ${shared} not found; this benchmark needs the shared data (../shared/data).`); process.exit(0); }
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

async function segmentationCase(c: VideoCase) {
  const { name, frames, truths } = c;
  process.stderr.write(`${name}: video segmentation of ${frames.length} frames\n`);
  const v = await videoSegment(frames, opts);
  const masks = frameOutputs(c, v).map((o) => o.mask);
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
  const allFg = c.doNothing;
  const cover = (ms: Image[]) => mean(ms.map((m) => mean(Array.from(m.data, (v) => (v >= 0.5 ? 1 : 0)))));
  row(`| ${name} | video (batch ${opts.batch}, ${v.report.iterations} it, hints ${v.report.hints}) | ${f(mean(ious), 3)} | ${list(ious)} | ${f(vFlicker, 4)} | ${f(gtFlicker, 4)}; fg fraction ${f(cover(masks))} vs ${f(cover(truths))}; all-fg IoU ${f(allFg, 3)} | ${f(v.report.psnr as number)} | ${f(vSec)} |`);
  if (base.length) row(`| ${name} | per-frame segment() (${baseIt} it each) | ${f(mean(bIous), 3)} | ${list(bIous)} | ${f(bFlicker, 4)} | ${f(gtFlicker, 4)}; fg fraction ${f(cover(base))} | | ${f(bSec / frames.length)} |`);
  results[name] = { allFgIou: allFg, fgFraction: { video: cover(masks), baseline: cover(base), truth: cover(truths) }, video: { iou: ious, flicker: vFlicker, secondsPerFrame: vSec, psnr: v.report.psnr }, baseline: { iou: bIous, flicker: bFlicker, secondsPerFrame: bSec / frames.length }, gtFlicker };
}

async function separationCase(c: VideoCase) {
  const { frames, truths: y1s } = c, stat = c.staticLayer!, ms = c.coefficients!;
  process.stderr.write(`transparency: ${N} frames\n`);
  const v = await videoSeparate(frames, { ...opts, hints: undefined }); // hints are segmentation's
  const outs = frameOutputs(c, v);
  v.dispose();
  // Layer ambiguity: match the outputs to the truths by correlation.
  const { swap, dyn, st } = matchLayers(outs, y1s, stat);
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

/** Video dehazing of frames with known clean frames, against DCP frame by frame; `name` labels the rows and results. */
async function hazeCase(c: VideoCase) {
  const { name, frames, truths } = c;
  process.stderr.write(`${name}: video dehazing of ${frames.length} frames\n`);
  const v = await videoDehaze(frames, { ...opts, hints: undefined });
  const both = frameOutputs(c, v);
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

// The cases are built in bench/video-cases.ts (time-to-quality runs them too); run in its order: seg, sep, truck, haze, hazedev.
for (const c of await videoCases(sharedAbs, N, cases, values.scenes ? values.scenes.split(',').map(Number) : undefined)) {
  if (c.task === 'video-segment') await segmentationCase(c);
  else if (c.task === 'video-separate') await separationCase(c);
  else await hazeCase(c);
}

console.log(`\nsettings: ${JSON.stringify(results.settings)}\n`);
console.log('| case | method | mean IoU / PSNR | per frame | flicker | gt flicker / note | recon PSNR dB | s per frame |\n|---|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
await mkdir(join('out', 'bench'), { recursive: true });
await writeFile(join('out', 'bench', 'quality-video.json'), JSON.stringify(results, null, 2) + '\n');
