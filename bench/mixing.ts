// Two mixtures' coefficients measured from the inputs (src/image/mixing.ts), on their own: for
// every two-mixture case of the dev set (both halves), the layers solved with the estimate, on the
// exact mixtures and with Gaussian sensor noise added to both inputs (0.5%, 1%, 2%), against the
// true coefficients' solve (the ceiling at that noise) and the do-nothing floor; then the authors'
// demo pair (no ground truth: the coefficients only). No training, no threads: seconds a case.
//   node bin/fast-node.mjs dist/bench/mixing.js [--noise 0,0.005,0.01,0.02] [--side 128]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dataDir } from './cases.js';
import { devSet } from './devset.js';
import { estimateMixing } from '../src/image/mixing.js';
import { solveTwoMixtures } from '../src/image/solve.js';
import { readImage } from '../src/io/image-file.js';
import { SEPARATE_RECIPE } from '../src/tasks/separate.js';
import type { Image } from '../src/image/image.js';

const { values } = parseArgs({ options: { noise: { type: 'string', default: '0,0.005,0.01,0.02' }, side: { type: 'string' } } });
const shared = dataDir();
if (!existsSync(shared)) { console.log(`bench/mixing: ${shared} not found; this benchmark needs ../shared/data beside the clone.`); process.exit(0); }
const side = Number(values.side ?? SEPARATE_RECIPE.estimateSide);
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** Deterministic Gaussian noise of `sigma`, clipped to [0, 1] (a sensor's). */
function noisy(img: Image, sigma: number, seed: number): Image {
  if (!sigma) return img;
  let s = seed;
  const uniform = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  return { ...img, data: img.data.map((v) => Math.min(1, Math.max(0, v + sigma * gauss()))) };
}

const cases = await devSet(shared, new Set(['two']));
const rows: { half: string; sigma: number; score: number; truth: number }[] = [];
console.log('| half | case | noise | estimated a / b | layer PSNR dB | true coefficients | do nothing | seconds |\n|---|---|---|---|---|---|---|---|');
for (const sigma of values.noise!.split(',').map(Number)) {
  for (const [k, c] of cases.entries()) {
    const inputs = c.inputs.map((img, j) => noisy(img, sigma, 7 + 2 * k + j)) as [Image, Image];
    const t0 = performance.now();
    const e = estimateMixing(inputs, side)!;
    const seconds = (performance.now() - t0) / 1000;
    const solve = (co: [number, number]) => { const [layer1, layer2] = solveTwoMixtures(inputs, co); return c.score({ layer1, layer2 }); };
    const truth = solve(c.name.match(/mixtures ([\d.]+)\/([\d.]+)/)!.slice(1, 3).map(Number) as [number, number]);
    const score = solve(e.coefficients);
    rows.push({ half: c.half, sigma, score, truth });
    console.log(`| ${c.half} | ${c.name} | ${sigma} | ${e.coefficients.map((x) => x.toFixed(3)).join(' / ')} | ${score.toFixed(2)} | ${truth.toFixed(2)} | ${c.doNothing.toFixed(2)} | ${seconds.toFixed(1)} |`);
  }
}
console.log('\n| noise | half | cases | mean layer PSNR | lowest | mean with the true coefficients |\n|---|---|---|---|---|---|');
for (const sigma of [...new Set(rows.map((r) => r.sigma))]) for (const half of ['tuning', 'check']) {
  const rs = rows.filter((r) => r.sigma === sigma && r.half === half);
  console.log(`| ${sigma} | ${half} | ${rs.length} | ${mean(rs.map((r) => r.score)).toFixed(2)} | ${Math.min(...rs.map((r) => r.score)).toFixed(2)} | ${mean(rs.map((r) => r.truth)).toFixed(2)} |`);
}
const demo = (f: string) => join(shared, 'authors-demo', f);
if (existsSync(demo('input1.jpg'))) {
  const e = estimateMixing([await readImage(demo('input1.jpg')), await readImage(demo('input2.jpg'))], side)!;
  console.log(`\nauthors' demo input1.jpg + input2.jpg (two paintings, JPEG; no ground truth): coefficients ${e.coefficients.map((x) => x.toFixed(3)).join(' / ')}`);
}
