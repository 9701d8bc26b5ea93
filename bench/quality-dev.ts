// The dev set (bench/devset.ts) at the defaults through this tree's library: every case of both
// halves, each seed, beside the do-nothing floor (and the dark channel prior for dehazing); then
// per kind and half the mean score and the cases below the floor. Tune on the tuning half only.
//   node bin/fast-node.mjs dist/bench/quality-dev.js [--seeds 0,1] [--kinds segment-auto,two,...] [--half tuning|check] [--json FILE] [--iterations N] [--size N] (not the defaults: for sweeps)
//       [--shard i/n: every n-th case from the i-th, so that n processes with DOUBLE_DIP_THREADS=1 share the cores (quality only: not for timings)]
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dataDir, runCase } from './cases.js';
import { devSet } from './devset.js';
import { dehaze } from '../src/tasks/dehaze.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '0,1' }, kinds: { type: 'string' }, half: { type: 'string' }, json: { type: 'string' }, iterations: { type: 'string' }, size: { type: 'string' }, shard: { type: 'string' } } });
const shared = dataDir();
if (!existsSync(shared)) { console.log(`bench/quality-dev: ${shared} not found; this benchmark needs ../shared/data beside the clone.`); process.exit(0); }
const seeds = values.seeds!.split(',').map(Number);
const [shard, shards] = (values.shard ?? '0/1').split('/').map(Number);
if (!(Number.isInteger(shard) && Number.isInteger(shards) && shard >= 0 && shard < shards)) throw new Error(`--shard ${values.shard}: expected i/n with 0 <= i < n, e.g. 0/2`);
const cases = (await devSet(shared, values.kinds ? new Set(values.kinds.split(',')) : undefined))
  .filter((c) => !values.half || c.half === values.half).filter((_, j) => j % shards === shard);
const f = (v: number, metric: string) => v.toFixed(metric === 'IoU' ? 3 : 2);

interface Row { kind: string; half: string; name: string; metric: string; seed: number; score: number; doNothing: number; dcp?: number; seconds: number; confidence?: string; concerns?: string[] }
const results: Row[] = [];
const lines: string[] = [];
for (const c of cases) {
  // The dark channel prior is deterministic: once per case.
  const dcp = c.task === 'dehaze' ? c.score((await dehaze(c.inputs[0], { method: 'dcp' })).images as never) : undefined;
  for (const seed of seeds) {
    const sweep = { ...(values.iterations ? { iterations: Number(values.iterations) } : {}), ...(values.size ? { size: Number(values.size) } : {}) };
    const r = await runCase(process.cwd(), c, seed, sweep);
    const row: Row = { kind: c.kind, half: c.half, name: c.name, metric: c.metric, seed, score: r.score, doNothing: c.doNothing, dcp, seconds: r.seconds, confidence: r.confidence, concerns: r.concerns };
    results.push(row);
    const line = `| ${c.half} | ${c.kind} | ${c.name} | ${seed} | ${c.metric} | ${f(r.score, c.metric)} | ${f(c.doNothing, c.metric)} | ${dcp === undefined ? '' : f(dcp, c.metric)} | ` +
      `${r.score < c.doNothing ? 'below' : ''} | ${r.confidence ?? ''}${r.concerns?.length ? `: ${r.concerns.join('; ').replaceAll('|', '/')}` : ''} | ${r.seconds.toFixed(0)} |`;
    lines.push(line);
    process.stderr.write(line + '\n');
  }
}
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 1));
console.log('\n| half | kind | case | seed | metric | double-dip | do nothing | DCP | below floor | confidence | seconds |\n|---|---|---|---|---|---|---|---|---|---|---|');
console.log(lines.join('\n'));
console.log('\n| kind | half | cases x seeds | mean | mean do nothing | mean DCP | below the floor | low confidence (of them below the floor) |\n|---|---|---|---|---|---|---|---|');
for (const kind of [...new Set(results.map((r) => r.kind))]) for (const half of ['tuning', 'check']) {
  const rs = results.filter((r) => r.kind === kind && r.half === half);
  if (!rs.length) continue;
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length, m = rs[0].metric;
  const dcps = rs.filter((r) => r.dcp !== undefined).map((r) => r.dcp!);
  console.log(`| ${kind} | ${half} | ${rs.length} | ${f(mean(rs.map((r) => r.score)), m)} | ${f(mean(rs.map((r) => r.doNothing)), m)} | ${dcps.length ? f(mean(dcps), m) : ''} | ` +
    `${rs.filter((r) => r.score < r.doNothing).length} | ${rs.filter((r) => r.confidence === 'low').length} (${rs.filter((r) => r.confidence === 'low' && r.score < r.doNothing).length}) |`);
}
