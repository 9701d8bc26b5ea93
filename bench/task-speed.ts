// Task speed benchmark: seconds per training iteration of every task at its default settings
// (working size, networks, batch), and the projected wall time of a default-length run. A few
// iterations of each task are timed after a warm-up; the projection is s/it x default iterations
// (every iteration of a recipe costs the same, bar augmentation, which the even count averages).
// A task that trains nothing at its defaults (two mixtures) is one whole call, timed.
// Uses only the images in examples/, so it runs on a fresh clone; run it on an idle machine.
//   node bin/fast-node.mjs dist/bench/task-speed.js [--iterations 40] [--warmup 10] [--tasks segment,separate2,...]
import { parseArgs } from 'node:util';
import { readImage } from '../src/io/image-file.js';
import { resizeImage } from '../src/image/resize.js';
import type { Image } from '../src/image/image.js';
import * as torch from '../src/tensor/index.js';
import type { Progress } from '../src/core/trainer.js';
import { SEGMENT_RECIPE, segment } from '../src/tasks/segment.js';
import { SEPARATE_ITERATIONS, separate } from '../src/tasks/separate.js';
import { DEHAZE_ITERATIONS, dehaze } from '../src/tasks/dehaze.js';
import { ONE_IMAGE_RUNS, WATERMARK_ITERATIONS, removeWatermark } from '../src/tasks/watermark.js';
import { VIDEO_RECIPE, videoDehaze, videoSegment } from '../src/tasks/video.js';
import type { TaskOptions } from '../src/tasks/common.js';

const { values } = parseArgs({ options: {
  iterations: { type: 'string', default: '40' }, warmup: { type: 'string', default: '10' },
  tasks: { type: 'string', default: 'segment,separate2,separate2net,separate1,dehaze,watermark1,watermark3,video8,videohaze8' },
} });
const timed = Number(values.iterations), warmup = Number(values.warmup);
const chelsea = await readImage('examples/chelsea.png'), coffee = resizeImage(await readImage('examples/coffee.png'), chelsea.width, chelsea.height);
const mix = (a: Image, b: Image, m: number): Image => ({ ...a, data: a.data.map((v, i) => m * v + (1 - m) * b.data[i]) });

type Run = (o: TaskOptions) => Promise<{ report: { processedSize: { width: number; height: number } } }>;
const TASKS: Record<string, { label: string; defaultIterations: number; frames?: number; run: Run }> = {
  segment: { label: 'segment (3 x config A)', defaultIterations: SEGMENT_RECIPE.imageIterations, run: (o) => segment(chelsea, o) },
  // At its defaults two mixtures trains nothing (estimated coefficients, solved layers): timed whole.
  separate2: { label: 'separate, two mixtures (estimated coefficients, no training)', defaultIterations: 0, run: (o) => separate([mix(chelsea, coffee, 0.3), mix(chelsea, coffee, 0.7)], o) },
  separate2net: { label: 'separate, two mixtures, --layers net (2 x C + coefficients)', defaultIterations: SEPARATE_ITERATIONS.two,
    run: (o) => separate([mix(chelsea, coffee, 0.3), mix(chelsea, coffee, 0.7)], { ...o, layers: 'net' }) },
  separate1: { label: 'separate, one image (2 x C + coefficient)', defaultIterations: SEPARATE_ITERATIONS.single, run: (o) => separate([mix(chelsea, coffee, 0.5)], o) },
  dehaze: { label: 'dehaze (3 x config B)', defaultIterations: DEHAZE_ITERATIONS, run: (o) => dehaze(chelsea, o) },
  watermark1: { label: 'watermark, one image + box (C + D, W given; 3 runs)', defaultIterations: ONE_IMAGE_RUNS * (WATERMARK_ITERATIONS.hint + WATERMARK_ITERATIONS.joint),
    run: (o) => removeWatermark([chelsea], { ...o, box: { x: 100, y: 100, width: 200, height: 60 } }) },
  watermark3: { label: 'watermark, three images (3 x C + 2 x B)', defaultIterations: WATERMARK_ITERATIONS.multi,
    run: (o) => removeWatermark([chelsea, coffee, mix(chelsea, coffee, 0.5)], o) },
  video8: { label: 'video segment, 8 frames, batch 4', defaultIterations: VIDEO_RECIPE.segmentIterations, frames: 8,
    run: async (o) => { const v = await videoSegment(Array.from({ length: 8 }, (_, k) => mix(chelsea, coffee, 1 - k / 20)), o); v.dispose(); return v; } },
  videohaze8: { label: 'video dehaze, 8 frames, batch 4', defaultIterations: VIDEO_RECIPE.dehazeIterations, frames: 8,
    run: async (o) => { const v = await videoDehaze(Array.from({ length: 8 }, (_, k) => mix(chelsea, coffee, 1 - k / 20)), o); v.dispose(); return v; } },
};

const rows: string[] = [];
for (const name of values.tasks!.split(',')) {
  const t = TASKS[name];
  if (!t) throw new Error(`Unknown task ${name}: use ${Object.keys(TASKS).join(', ')}`);
  let start = 0, end = 0;
  const onProgress = (p: Progress) => { if (p.iteration === warmup) start = p.elapsed; if (p.iteration === warmup + timed) end = p.elapsed; };
  const called = performance.now();
  const r = await t.run(t.defaultIterations === 0 ? {} : { iterations: warmup + timed, onProgress });
  const perIt = (end - start) / timed, total = t.defaultIterations === 0 ? (performance.now() - called) / 1000 : perIt * t.defaultIterations;
  const { width, height } = r.report.processedSize;
  rows.push(`| ${t.label} | ${width}x${height} | ${t.defaultIterations === 0 ? '-' : perIt.toFixed(3)} | ${t.defaultIterations} | ${(total / 60).toFixed(t.defaultIterations === 0 ? 3 : 1)} |` +
    (t.frames ? ` ${(total / t.frames).toFixed(0)} s/frame |` : ' |'));
  process.stderr.write(rows[rows.length - 1] + '\n');
}
const info = torch.engineInfo();
console.log(`\nlibtorch ${info.torchVersion}, ${info.threads} threads, allocator ${info.allocator}; ${timed} timed iterations after ${warmup}`);
console.log('\n| task | working size | s / iteration | default iterations | projected minutes | |\n|---|---|---|---|---|---|');
console.log(rows.join('\n'));
