// Time to quality: every image dev case (bench/cases.ts) run at the defaults by a baseline tree
// and by this one, each seed, one child process at a time, alternating; prints each side's score
// and wall time, the speed-up, and whether this tree reached the baseline's quality (within 0.01
// IoU / 0.5 dB). The baseline is another checkout of double-dip, built (dist/), e.g. a worktree of
// main as an issue starts:
//   git worktree add --detach ../base <commit> && (cd ../base && ln -s ../main/node_modules && npm run build)
//   node bin/fast-node.mjs dist/bench/time-to-quality.js --baseline ../base [--seeds 0,1] [--groups seg,two,...] [--cases NAME [--cases NAME ...]]
//       [--set bench|dev|video] [--half tuning|check] [--kinds segment-auto,two,...] [--frames 8]
// --set bench (default): the quality benches' cases (bench/cases.ts); --set dev: the dev set (bench/devset.ts);
// --set video: quality-video's clips (bench/video-cases.ts: --groups seg,sep,truck,haze,hazedev), --frames
// frames each (8, quality-video's default), at each tree's video defaults (its size and iterations, not
// quality-video's --size 128); a video case's seconds cover the task call and its per-frame outputs.
//   node bin/fast-node.mjs dist/bench/time-to-quality.js --baseline ../base --set video [--seeds 0,1] [--groups seg,haze] [--frames 8]
// Run it alone on the machine: the seconds are wall time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dataDir, devCases, runCase, type DevCase, type Outcome } from './cases.js';
import { devSet } from './devset.js';
import { runVideoCase, videoCases, type VideoCase } from './video-cases.js';

const { values } = parseArgs({ options: {
  baseline: { type: 'string' }, seeds: { type: 'string', default: '0,1' }, groups: { type: 'string' }, cases: { type: 'string', multiple: true },
  child: { type: 'boolean' }, tree: { type: 'string' }, case: { type: 'string' }, seed: { type: 'string' },
  set: { type: 'string', default: 'bench' }, half: { type: 'string' }, kinds: { type: 'string' }, frames: { type: 'string', default: '8' },
} });

const shared = dataDir();
if (!existsSync(shared)) { console.log(`bench/time-to-quality: ${shared} not found; this benchmark needs ../shared/data beside the clone.`); process.exit(0); }
const groups = values.groups ? new Set(values.groups.split(',')) : undefined;
/** The cases of --set (and --groups, --kinds, --half). */
async function caseList(): Promise<(DevCase | (Awaited<ReturnType<typeof devSet>>[number]) | VideoCase)[]> {
  if (values.set === 'video') return videoCases(shared, Number(values.frames), groups);
  if (values.set === 'dev') return (await devSet(shared, values.kinds ? new Set(values.kinds.split(',')) : undefined)).filter((c) => !values.half || c.half === values.half);
  return devCases(shared, groups);
}

if (values.child) {
  const [c] = (await caseList()).filter((x) => x.name === values.case);
  if (!c) throw new Error(`No dev case named "${values.case}"`);
  // Only the seed: each tree runs at its own defaults.
  const outcome = 'frames' in c ? await runVideoCase(values.tree!, c, Number(values.seed)) : await runCase(values.tree!, c, Number(values.seed));
  process.stdout.write(JSON.stringify(outcome) + '\n');
  process.exit(0);
}

if (!values.baseline) throw new Error('Give --baseline DIR: a built checkout of double-dip to compare against');
const trees = { baseline: resolve(values.baseline), new: process.cwd() };
if (!existsSync(resolve(trees.baseline, 'dist/src/index.js'))) throw new Error(`${trees.baseline} has no dist/src/index.js: build it first (npm run build)`);
const seeds = values.seeds!.split(',').map(Number);
// One --cases per name: names hold commas ("one image + box, skimage_chelsea, opacity 0.6").
const wanted = values.cases ? new Set(values.cases) : undefined;
const cases = (await caseList()).filter((c) => !wanted || wanted.has(c.name));
if (wanted && cases.length < wanted.size) throw new Error(`No case named ${[...wanted].filter((n) => !cases.some((c) => c.name === n)).map((n) => `"${n}"`).join(', ')} in --set ${values.set}${values.groups ? ` --groups ${values.groups}` : ''}`);

function child(tree: string, c: { name: string }, seed: number): Outcome {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--child', '--tree', tree, '--case', c.name, '--seed', String(seed),
    '--set', values.set!, ...(values.groups ? ['--groups', values.groups] : []), ...(values.kinds ? ['--kinds', values.kinds] : []),
    ...(values.half ? ['--half', values.half] : []), '--frames', values.frames!], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${c.name} (seed ${seed}) in ${tree} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const f = (v: number, d = 2) => v.toFixed(d);
const rows: string[] = [];
for (const c of cases) for (const seed of seeds) {
  const base = child(trees.baseline, c, seed), mine = child(trees.new, c, seed);
  const bound = c.metric === 'IoU' ? 0.01 : 0.5;
  const reached = mine.score >= base.score - bound;
  const row = `| ${c.name}${'half' in c ? ` (${c.half})` : ''} | ${seed} | ${c.metric} | ${f(c.doNothing, c.metric === 'IoU' ? 3 : 2)} | ${f(base.score, c.metric === 'IoU' ? 3 : 2)} | ${f(base.seconds, 0)} (${base.iterations} it) | ` +
    `${f(mine.score, c.metric === 'IoU' ? 3 : 2)} | ${f(mine.seconds, 0)} (${mine.iterations} it) | ${reached ? `${f(base.seconds / mine.seconds, 2)}x` : 'not reached'} |`;
  rows.push(row);
  process.stderr.write(row + '\n');
}
console.log(`\nbaseline: ${trees.baseline}; this tree: ${trees.new}; seeds ${seeds.join(', ')}; defaults${values.set === 'video' ? `, ${values.frames} frames a clip` : ''}; wall seconds of the library call.\n`);
console.log('| case | seed | metric | do nothing | baseline | baseline s | new | new s | speed-up at baseline quality |\n|---|---|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
