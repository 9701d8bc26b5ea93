// Options every command shares, parsed and checked the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { availableParallelism } from 'node:os';
import type { TaskOptions } from '../tasks/common.js';
import { checkOutputDir } from '../io/output-dir.js';

export class UsageError extends Error {}

export const COMMON_OPTIONS = {
  output: { type: 'string', short: 'o' },
  iterations: { type: 'string' },
  'max-seconds': { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `Common options:
  -o, --output DIR      where to write the outputs (required)
  --iterations N        total training iterations (default: the task's recipe)
  --max-seconds S       stop after S seconds and keep the best result so far
  --size S              long side processed, px (default 256); outputs keep the input's resolution
  --seed N              random seed (default 0): same seed, same result on CPU
  --device cpu|cuda     compute device (default cpu; cuda needs a CUDA libtorch)
  --threads N           CPU threads (default: all cores)
  -q, --quiet           no progress output
  --json                machine output on stdout: progress and result as JSON lines
  -h, --help            this help`;

export function parse(argv: string[], options: ParseArgsConfig['options']): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }) as never;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function number(v: string | undefined, name: string, { integer = false, min = -Infinity } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min)
    throw new UsageError(`Expected ${integer ? 'an integer' : 'a number'} >= ${min} for --${name} but received "${v}"`);
  return n;
}

/** R,G,B with each in 0-255 (as an image editor shows a colour), returned in [0, 1]. */
export function rgb(v: string | undefined, name: string, { min = 0 } = {}): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < min || p > 255))
    throw new UsageError(`Expected R,G,B with each in ${min}-255 for --${name} but received "${v}"`);
  return parts.map((p) => p / 255) as [number, number, number];
}

export function taskOptions(values: Record<string, unknown>): TaskOptions {
  const device = values.device as string | undefined;
  if (device !== undefined && !/^(cpu|cuda(:\d+)?)$/.test(device)) throw new UsageError(`Expected cpu or cuda[:N] for --device but received "${device}"`);
  const threads = number(values.threads as string, 'threads', { integer: true, min: 1 });
  if (threads !== undefined && threads > 4 * availableParallelism()) throw new UsageError(`--threads ${threads} is more than 4x the ${availableParallelism()} cores here`);
  return {
    iterations: number(values.iterations as string, 'iterations', { integer: true, min: 1 }),
    maxSeconds: number(values['max-seconds'] as string, 'max-seconds', { min: 0 }),
    size: number(values.size as string, 'size', { integer: true, min: 64 }),
    seed: number(values.seed as string, 'seed', { integer: true, min: 0 }),
    device, threads,
  };
}

/** The -o folder, checked before any work (output-dir.ts): a run that cannot write must not train first. */
export async function requireOutput(values: Record<string, unknown>): Promise<string> {
  const out = values.output as string | undefined;
  if (!out) throw new UsageError('Missing -o DIR: say where to write the outputs');
  await checkOutputDir(out);
  return out;
}
