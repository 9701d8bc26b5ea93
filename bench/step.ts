// Training-step benchmark: median ms per DIP step (forward + backward + Adam, MSE to a random
// target, batch 1, noise U(0, 0.1)) of our engine, beside the same step in Python PyTorch run
// under the same allocator and thread count (bench/step_reference.py builds the identical network).
//
//   npm run bench:step -- [--sizes 128,256] [--configs A,B,C,dip] [--steps 20] [--warmup 3] [--rounds 2]
//                         [--threads N] [--no-python] [--no-allocators] [--alloc-config dip] [--alloc-size 256]
//
// Run it through bin/fast-node.mjs (the npm script does): the process then has tcmalloc preloaded,
// and the Python reference inherits the same LD_PRELOAD. Every measurement is a fresh child process,
// ours and Python's alternating for --rounds rounds; the median is over all timed steps of all rounds
// (single runs on this VM vary by +-10%). The allocator rows rerun one case: tcmalloc, the addon's
// tuned glibc malloc, and plain glibc malloc.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/tensor/index.js';
import { CONFIGS, skip, type ConfigName, type SkipConfig } from '../src/nn/skip.js';

const PYTHON = '/usr/bin/python3'; // Debian's, with python3-torch (not a pyenv python first on PATH)
const TCMALLOC = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4',
].find((p) => existsSync(p));
// The addon's glibc tuning (native/src/runtime.cc ConfigureAllocator), as glibc environment
// variables, so a Python process can run under the same malloc settings.
const GLIBC_TUNED_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(1 << 30), MALLOC_TOP_PAD_: String(64 << 20) };

interface Options {
  sizes: number[]; configs: ConfigName[]; steps: number; warmup: number; threads: number;
  rounds: number; allocRounds: number; python: boolean; allocators: boolean; allocConfig: ConfigName; allocSize: number; child: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [128, 256], configs: ['A', 'B', 'C', 'dip'], steps: 20, warmup: 3, threads: torch.getNumThreads(),
    rounds: 2, allocRounds: 1, python: true, allocators: true, allocConfig: 'dip', allocSize: 256, child: false };
  const num = (v: string | undefined, flag: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer, got ${v}`);
    return n;
  };
  const config = (c: string): ConfigName => {
    if (!(c in CONFIGS)) throw new Error(`Unknown config '${c}': use ${Object.keys(CONFIGS).join(', ')}`);
    return c as ConfigName;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--sizes': o.sizes = next().split(',').map((s) => num(s, a)); break;
      case '--configs': o.configs = next().split(',').map(config); break;
      case '--steps': o.steps = Math.max(1, num(next(), a)); break;
      case '--warmup': o.warmup = num(next(), a); break;
      case '--threads': o.threads = Math.max(1, num(next(), a)); break;
      case '--rounds': o.rounds = Math.max(1, num(next(), a)); break;
      case '--alloc-rounds': o.allocRounds = Math.max(1, num(next(), a)); break;
      case '--no-python': o.python = false; break;
      case '--no-allocators': o.allocators = false; break;
      case '--alloc-config': o.allocConfig = config(next()); break;
      case '--alloc-size': o.allocSize = num(next(), a); break;
      case '--child': o.child = true; break;
      case '--help': case '-h':
        console.log('usage: npm run bench:step -- [--sizes 128,256] [--configs A,B,C,dip] [--steps 20] [--warmup 3] [--threads N] ' +
          '[--rounds 2] [--no-python] [--no-allocators] [--alloc-config dip] [--alloc-size 256] [--alloc-rounds 1]');
        process.exit(0);
      default: throw new Error(`Unknown option ${a}`);
    }
  }
  return o;
}

/** Noise channels per config: 8 for A-D, 32 for DIP's default network. */
const inChannelsOf = (c: ConfigName) => (c === 'dip' ? 32 : 8);
const OUT_CHANNELS = 3;

/**
 * Conv FLOPs of one forward pass (2 per multiply-add) of our skip network at H x W, every conv
 * counted: strided down convs, k x k convs, skip and 1x1 convs, the head.
 */
export function convFlops(cfg: SkipConfig, inCh: number, H: number, W: number, outCh = OUT_CHANNELS): number {
  const k2 = cfg.kernel * cfg.kernel;
  let f = 0, d = inCh, h = H, w = W;
  for (let i = 0; i < cfg.channels.length; i++) {
    const c = cfg.channels[i], s = cfg.skip[i];
    const below = i + 1 < cfg.channels.length ? cfg.channels[i + 1] : c;
    const hw = h * w, hw2 = (h / 2) * (w / 2);
    if (s > 0) f += 2 * d * s * hw; // skip 1x1
    f += 2 * d * c * k2 * hw2; // down, stride 2
    f += 2 * c * c * k2 * hw2; // down, k x k
    f += 2 * (s + below) * c * k2 * hw; // merge k x k
    f += 2 * c * c * hw; // merge 1x1
    d = c; h /= 2; w /= 2;
  }
  return f + 2 * cfg.channels[0] * outCh * H * W; // head 1x1
}

interface StepResult { times: number[]; params: number; allocator: string; threads: number; finalLoss: number; error?: string }

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : NaN); // upper middle, as Python's side

/** Our step, timed in this process (the --child side). */
function runOurs(config: ConfigName, size: number, steps: number, warmup: number): StepResult {
  torch.manualSeed(0);
  const inCh = inChannelsOf(config);
  const net = skip(config, inCh, OUT_CHANNELS);
  const params = net.parameters();
  const z = torch.keep(torch.uniform([1, inCh, size, size], 0, 0.1));
  const target = torch.keep(torch.rand([1, OUT_CHANNELS, size, size]));
  const opt = new torch.Adam(params, { lr: 1e-3 });
  const times: number[] = [];
  let loss = NaN;
  for (let it = 0; it < warmup + steps; it++) {
    const t0 = performance.now();
    loss = torch.tidy(() => {
      opt.zeroGrad();
      const l = net.forward(z).sub(target).square().mean();
      l.backward();
      opt.step();
      return l.item();
    });
    const ms = performance.now() - t0;
    if (it >= warmup) times.push(ms);
  }
  const result = { times, params: net.parameterCount(), allocator: torch.engineInfo().allocator, threads: torch.getNumThreads(), finalLoss: loss };
  torch.dispose([params, z, target]);
  return result;
}

const root = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package root');
    dir = up;
  }
  return dir;
})();

type Env = Record<string, string | undefined>;
/** A child's environment: keys set to undefined are removed, not passed as the string "undefined". */
const cleanEnv = (env: Env): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;

function runChild(cmd: string, args: string[], env: Env, parse: (j: any) => StepResult): StepResult {
  const r = spawnSync(cmd, args, { env: cleanEnv(env), encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    const why = r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    return { times: [], params: NaN, allocator: '?', threads: NaN, finalLoss: NaN, error: why };
  }
  return parse(JSON.parse(line));
}

/** The Python reference step in a child process with the given environment. */
function runPython(config: ConfigName, size: number, o: Options, env: Env): StepResult {
  const args = [join(root, 'bench', 'step_reference.py'), '--spec', JSON.stringify(CONFIGS[config]), '--in-ch', String(inChannelsOf(config)),
    '--out-ch', String(OUT_CHANNELS), '--size', String(size), '--steps', String(o.steps), '--warmup', String(o.warmup), '--threads', String(o.threads)];
  return runChild(PYTHON, args, env, (j) => ({ times: j.times_ms, params: j.params, allocator: '', threads: j.threads, finalLoss: j.final_loss }));
}

/** This script again, as a child (--child): one JSON line of our result. */
function runOursChild(config: ConfigName, size: number, o: Options, env: Env): StepResult {
  const args = [fileURLToPath(import.meta.url), '--child', '--configs', config, '--sizes', String(size), '--steps', String(o.steps),
    '--warmup', String(o.warmup), '--threads', String(o.threads)];
  return runChild(process.execPath, args, { ...env, DOUBLE_DIP_NO_RELAUNCH: '1' }, (j) => j as StepResult);
}

const fmt = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

interface Row { config: ConfigName; size: number; ours: number[]; python: number[]; allocator: string; errors: string[] }

/** Alternates ours and Python's fresh processes for `rounds` rounds; pools the timed steps. */
function measure(config: ConfigName, size: number, o: Options, rounds: number, oursEnv: Env, pythonEnv: Env, label?: string): Row & { params: [number, number] } {
  const row = { config, size, ours: [] as number[], python: [] as number[], allocator: '', errors: [] as string[], params: [NaN, NaN] as [number, number] };
  for (let r = 0; r < rounds; r++) {
    const ours = runOursChild(config, size, o, oursEnv);
    if (ours.error) row.errors.push(`ours ${config}@${size}: ${ours.error}`);
    else if (label && ours.allocator !== label) row.errors.push(`ours ${config}@${size}: expected allocator ${label}, the child reported ${ours.allocator}`);
    row.ours.push(...ours.times);
    row.allocator = ours.allocator;
    row.params[0] = ours.params;
    if (o.python) {
      const py = runPython(config, size, o, pythonEnv);
      if (py.error) row.errors.push(`python ${config}@${size}: ${py.error}`);
      row.python.push(...py.times);
      row.params[1] = py.params;
    }
  }
  console.error(`  ${config}@${size} ${row.allocator}: ours ${fmt(median(row.ours))} ms, python ${fmt(median(row.python))} ms`);
  return row;
}

function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}\n`);
  console.log('| config | size | ours ms | python ms | ratio | ours GFLOP/s | allocator |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const flops = 3 * convFlops(CONFIGS[r.config], inChannelsOf(r.config), r.size, r.size); // fwd + bwd (input and weight grads)
    const ours = median(r.ours), py = median(r.python);
    const ratio = ours / py;
    const flag = Number.isFinite(ratio) && ratio > 1.1 ? ' (!)' : '';
    console.log(`| ${r.config} | ${r.size} | ${fmt(ours)} | ${fmt(py)} | ${fmt(ratio, 2)}${flag} | ${fmt(flops / 1e9 / (ours / 1000), 1)} | ${r.allocator} |`);
  }
  for (const r of rows) for (const e of r.errors) console.log(`failed: ${e}`);
}

const withoutTcmalloc = (env: Env): Env => {
  const pre = (env.LD_PRELOAD ?? '').split(':').filter((p) => p && !p.includes('tcmalloc')).join(':');
  return { ...env, LD_PRELOAD: pre || undefined };
};

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  torch.setNumThreads(o.threads);

  if (o.child) {
    console.log(JSON.stringify(runOurs(o.configs[0], o.sizes[0], o.steps, o.warmup)));
    return;
  }

  const info = torch.engineInfo();
  const baseEnv: Env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  // Python gets this process's allocator: the same LD_PRELOAD, or the addon's glibc tuning as malloc env variables.
  const pythonEnv: Env = info.allocator === 'glibc-tuned' ? { ...baseEnv, ...GLIBC_TUNED_ENV } : baseEnv;
  console.log(`double-dip step bench: libtorch ${info.torchVersion}, allocator ${info.allocator}, ${o.threads} threads, ` +
    `${o.warmup} warmup + ${o.steps} timed steps x ${o.rounds} rounds of fresh processes (ours and Python alternating), ` +
    `median ms per step over all rounds. Python: ${PYTHON}, LD_PRELOAD=${process.env.LD_PRELOAD ?? '(none)'}, OPENBLAS_NUM_THREADS=1, ` +
    `torch.set_num_threads(${o.threads}).`);
  console.log('GFLOP/s: 3 x forward conv FLOPs (every conv incl. strided, skip, 1x1 and head) / median step time.');

  const rows: Row[] = [];
  const params = new Map<ConfigName, [number, number]>();
  for (const config of o.configs) {
    for (const size of o.sizes) {
      const row = measure(config, size, o, o.rounds, baseEnv, pythonEnv);
      rows.push(row);
      if (!params.has(config) && Number.isFinite(row.params[0])) params.set(config, row.params);
    }
  }
  console.log('\nParameter counts (ours / python):');
  for (const [config, [ours, py]] of params) {
    const same = ours === py;
    console.log(`- ${config}: ${ours} / ${o.python ? py : 'n/a'}${o.python ? (same ? ' (match)' : ' (MISMATCH: the networks differ)') : ''}`);
    if (o.python && !same) process.exitCode = 1;
  }
  printTable('Training step, ours vs Python PyTorch (same allocator, same threads)', rows);

  if (o.allocators) {
    const c = o.allocConfig, s = o.allocSize;
    const plain = withoutTcmalloc(baseEnv);
    const variants: { label: string; ours: Env; python: Env }[] = [];
    if (TCMALLOC) {
      const pre = [TCMALLOC, plain.LD_PRELOAD].filter(Boolean).join(':');
      variants.push({ label: 'tcmalloc', ours: { ...plain, LD_PRELOAD: pre }, python: { ...plain, LD_PRELOAD: pre } });
    }
    variants.push({ label: 'glibc-tuned', ours: { ...plain, DOUBLE_DIP_GLIBC_MALLOC: undefined }, python: { ...plain, ...GLIBC_TUNED_ENV } });
    variants.push({ label: 'glibc-default', ours: { ...plain, DOUBLE_DIP_GLIBC_MALLOC: 'default' }, python: plain });
    const allocRows = variants.map((v) => measure(c, s, o, o.allocRounds, v.ours, v.python, v.label));
    printTable(`Allocator effect, ${c} at ${s}, ${o.allocRounds} round(s) (Python's glibc-tuned row sets the addon's mallopt values ` +
      'through MALLOC_MMAP_MAX_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_)', allocRows);
  }
}

main();
