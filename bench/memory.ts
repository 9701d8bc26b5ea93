// Memory benchmark: peak resident memory (RSS) of every image task through the real CLI, as a user
// runs it (bin/double-dip.mjs, relaunched under tcmalloc), on 1, 12, 24 and 50 MP photos and at
// --size 512 on a 1 MP photo. The inputs are made in a temp folder from the photos in examples/
// (upscaled, so the numbers need nothing else). Peak RSS is VmHWM of the process that trains
// (peak-rss.ts), Linux only. Default settings except --iterations: training runs at the working
// size (--size, 256 px) whatever the input's size, so a few iterations cost what the whole run
// does; the full-resolution reading, post-processing and writing, which grow with the input, are
// the same as a full run's.
//   npm run bench:memory [-- --sizes 1,12,24,50 --iterations 2 --tasks segment,dcp,...]
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runWithPeakRss } from './peak-rss.js';

const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '1,12,24,50' }, iterations: { type: 'string', default: '2' },
  tasks: { type: 'string', default: 'segment,separate1,separate2,dehaze,dcp,watermark1,watermark3' },
  'size-512': { type: 'string', default: '1' }, keep: { type: 'boolean', default: false },
} });
const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dd-memory-'));
const iterations = values.iterations!;

/** A 3:2 size of about `mp` megapixels (never above it: 50 MP is the largest input accepted). */
function sizeOf(mp: number): { width: number; height: number } {
  const width = Math.floor(Math.sqrt(mp * 1e6 * 1.5));
  return { width, height: Math.floor((mp * 1e6) / width) };
}

/** A white mark (bars and a ring at 45% opacity) over the middle of a w x h picture, and the box around it. */
function mark(w: number, h: number): { svg: Buffer; box: string } {
  const mw = Math.round(w * 0.4), mh = Math.round(h * 0.12), x = Math.round((w - mw) / 2), y = Math.round((h - mh) / 2);
  const t = Math.max(2, Math.round(mh / 8));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><g fill="none" stroke="white" stroke-opacity="0.45" stroke-width="${t}">` +
    `<circle cx="${x + mh / 2}" cy="${y + mh / 2}" r="${mh / 2 - t}"/>` +
    Array.from({ length: 5 }, (_, k) => `<line x1="${x + mh * 1.3}" y1="${y + t + (k * (mh - 2 * t)) / 4}" x2="${x + mw - t}" y2="${y + t + (k * (mh - 2 * t)) / 4}"/>`).join('') +
    '</g></svg>';
  const pad = 2 * t;
  return { svg: Buffer.from(svg), box: `${x - pad},${y - pad},${mw + 2 * pad},${mh + 2 * pad}` };
}

const photo = (name: string, w: number, h: number) => sharp(join('examples', name)).resize(w, h, { fit: 'fill' });

/** The inputs of every task at one size, as JPEGs (quality 90), in `dir`. */
async function makeInputs(mp: number, dir: string) {
  const { width: w, height: h } = sizeOf(mp);
  const file = (n: string) => join(dir, `${n}-${mp}mp.jpg`);
  const jpeg = { quality: 90 };
  const raw = async (name: string) => photo(name, w, h).raw().toBuffer();
  const [flower, coffee, chelsea] = await Promise.all(['flower.jpg', 'coffee.png', 'chelsea.png'].map(raw));
  const asImage = (b: Buffer) => sharp(b, { raw: { width: w, height: h, channels: 3 } });
  // Two mixtures of the same two layers, I_k = m_k flower + (1 - m_k) coffee.
  const mix = (m: number) => Buffer.from(flower.map((v, i) => Math.round(m * v + (1 - m) * coffee[i])));
  const { svg, box } = mark(w, h);
  const marked = (b: Buffer, p: string) => asImage(b).composite([{ input: svg }]).jpeg(jpeg).toFile(p);
  await asImage(flower).jpeg(jpeg).toFile(file('photo'));
  await asImage(mix(0.3)).jpeg(jpeg).toFile(file('mix1'));
  await asImage(mix(0.7)).jpeg(jpeg).toFile(file('mix2'));
  await Promise.all([marked(flower, file('marked1')), marked(coffee, file('marked2')), marked(chelsea, file('marked3'))]);
  return { width: w, height: h, file, box };
}

type Inputs = Awaited<ReturnType<typeof makeInputs>>;
const TASKS: Record<string, { label: string; args: (i: Inputs) => string[]; trains: boolean }> = {
  segment: { label: 'segment (automatic hints)', trains: true, args: (i) => ['segment', i.file('photo')] },
  separate1: { label: 'separate, one image', trains: true, args: (i) => ['separate', i.file('mix1')] },
  separate2: { label: 'separate, two images', trains: true, args: (i) => ['separate', i.file('mix1'), i.file('mix2')] },
  dehaze: { label: 'dehaze (double-dip)', trains: true, args: (i) => ['dehaze', i.file('photo')] },
  dcp: { label: 'dehaze --method dcp', trains: false, args: (i) => ['dehaze', i.file('photo'), '--method', 'dcp'] },
  watermark1: { label: 'watermark, one image + box (3 runs)', trains: true, args: (i) => ['watermark', i.file('marked1'), '--box', i.box] },
  watermark3: { label: 'watermark, three images', trains: true, args: (i) => ['watermark', i.file('marked1'), i.file('marked2'), i.file('marked3')] },
};

const tasks = values.tasks!.split(',');
for (const t of tasks) if (!TASKS[t]) throw new Error(`Unknown task ${t}: use ${Object.keys(TASKS).join(', ')}`);
const columns = [...values.sizes!.split(',').map((s) => ({ mp: Number(s), size: undefined as string | undefined })),
  ...(values['size-512'] ? values['size-512'].split(',').filter(Boolean).map((s) => ({ mp: Number(s), size: '512' })) : [])];
const inputs = new Map<number, Inputs>();
const peaks: Record<string, string[]> = Object.fromEntries(tasks.map((t) => [t, []]));
try {
  for (const col of columns) {
    if (!inputs.has(col.mp)) inputs.set(col.mp, await makeInputs(col.mp, tmp));
    const input = inputs.get(col.mp)!;
    for (const t of tasks) {
      const task = TASKS[t];
      const args = [bin, ...task.args(input), '-o', join(tmp, `out-${t}-${col.mp}-${col.size ?? 256}`), '--quiet',
        ...(task.trains ? ['--iterations', iterations] : []), ...(col.size ? ['--size', col.size] : [])];
      const r = await runWithPeakRss(args);
      if (r.code !== 0) throw new Error(`${t} at ${col.mp} MP failed (exit ${r.code}):\n${r.stderr}`);
      peaks[t].push(r.peakMiB.toFixed(0));
      process.stderr.write(`${t.padEnd(11)} ${input.width}x${input.height}${col.size ? ` --size ${col.size}` : ''}: ` +
        `${r.peakMiB.toFixed(0)} MiB (processes: ${r.processes.map((p) => `${p.mib.toFixed(0)}${p.tcmalloc ? ' tcmalloc' : ''}`).join(', ')})\n`);
    }
  }
} finally {
  if (!values.keep) rmSync(tmp, { recursive: true, force: true });
}

const head = columns.map((c) => { const s = sizeOf(c.mp); return `${c.mp} MP (${s.width}x${s.height})${c.size ? `, --size ${c.size}` : ''}`; });
console.log(`\nPeak RSS (MiB) of the process that trains, default settings but --iterations ${iterations} ` +
  '(training runs at the working size whatever the input size, so its memory does not depend on the iteration count; ' +
  'the full-resolution reading, post-processing and writing are those of a full run).\n');
console.log(`| task | ${head.join(' | ')} |\n|---|${head.map(() => '---|').join('')}`);
for (const t of tasks) console.log(`| ${TASKS[t].label} | ${peaks[t].join(' | ')} |`);
