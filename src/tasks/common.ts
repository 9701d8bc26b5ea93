// What every task shares: options, the working size, moving images in and out of the
// engine, and the shape of a result. Tasks themselves are recipes: a Decomposition + post-processing.
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Image } from '../image/image.js';
import { resizeImage, resizeLazily } from '../image/resize.js';
import { imageToTensor, tensorToImage } from '../core/images.js';
import { train, type HistoryPoint, type Progress, type TrainResult } from '../core/trainer.js';
import type { Decomposition, Phase, Schedule, Term } from '../core/spec.js';
import { OptionError } from './option-error.js';

export interface TaskOptions {
  /** Long side processed, in px (outputs are always at the input's resolution). */
  size?: number;
  /** Total iterations; the recipe's phases are scaled to sum to this. */
  iterations?: number;
  /** Stop after this many seconds and keep the best result so far. */
  maxSeconds?: number;
  seed?: number;
  device?: string;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called every previewEvery iterations with the current layers of input `input` (0-based) at the working size. */
  onPreview?: (p: { iteration: number; input: number; images: Record<string, Image> }) => void;
  previewEvery?: number;
}

export interface Report {
  task: string;
  inputs: { width: number; height: number }[];
  processedSize: { width: number; height: number };
  iterations: number;
  plannedIterations: number;
  seconds: number;
  stopReason: TrainResult['stopReason'];
  psnr: number;
  finalLosses: Record<string, number>;
  seed: number;
  settings: Record<string, unknown>;
  engine: { torch: string; device: string; threads: number; allocator: string };
  [extra: string]: unknown;
}

export interface TaskResult {
  task: string;
  /**
   * Output images at input resolution, by file stem (e.g. mask, foreground). Most are LazyImages,
   * made a strip of rows at a time when read: reading `data` makes one whole.
   */
  images: Record<string, Image>;
  report: Report;
  history: HistoryPoint[];
}

export const DEFAULT_SIZE = 256;
export const DEFAULT_SEED = 0;

/** Working size: long side `size` (at least the net's minimum), both sides multiples of `multiple`. */
export function workingSize(width: number, height: number, size: number, multiple = 32, minSide = 64): { width: number; height: number } {
  if (!Number.isFinite(size) || size < minSide)
    throw new OptionError('ERR_OPTION_RANGE', 'size', size, (n) => `${n('size')} ${size} is too small here: use at least ${minSide}`);
  const scale = size / Math.max(width, height);
  const round = (v: number) => Math.max(Math.ceil(minSide / multiple) * multiple, Math.round((v * scale) / multiple) * multiple);
  return { width: round(width), height: round(height) };
}

/**
 * Scales phase lengths so they sum to `total` (each at least 1), and stretches the terms' weight
 * schedules with their phase: the recipes' schedules (hints relaxed after 500 iterations, the
 * binary ramp over 1000, ...) are written for their default lengths and would otherwise never
 * run out in a shorter run, or run out too early in a longer one.
 */
export function scalePhases(phases: Phase[], total?: number): Phase[] {
  if (total === undefined) return phases;
  if (!Number.isInteger(total) || total < 1) throw new Error(`--iterations must be a positive integer, got ${total}`);
  const lengths = phaseLengths(phases.map((p) => p.iterations), total);
  return phases.flatMap((p, i) => {
    const n = lengths[i];
    if (n === 0) return []; // fewer iterations than phases: the shortest phases are left out
    const f = n / p.iterations;
    return [{ ...p, iterations: n, terms: p.terms.map((t) => ({ ...t, weight: stretch(t.weight, f) }) as Term) }];
  });
}

/**
 * Phase lengths in proportion to `planned` that add up to exactly `total`: each rounded, the last
 * taking the rest, as long as that gives every phase at least one; otherwise (a total near the
 * number of phases) by largest remainder, every phase at least one where the total allows.
 */
export function phaseLengths(planned: number[], total: number): number[] {
  const sum = planned.reduce((a, b) => a + b, 0);
  let left = total;
  const rounded = planned.map((p, i) => {
    const n = i === planned.length - 1 ? left : Math.round((p * total) / sum);
    left -= n;
    return n;
  });
  if (rounded.every((n) => n >= 1)) return rounded;
  const floor = total >= planned.length ? 1 : 0;
  const share = planned.map((p) => floor + ((total - floor * planned.length) * p) / sum);
  const out = share.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  for (const i of share.map((v, i) => i).sort((a, b) => (share[b] - out[b]) - (share[a] - out[a]) || planned[b] - planned[a])) {
    if (rest-- <= 0) break;
    out[i]++;
  }
  return out;
}

const stretch = (s: Schedule | undefined, f: number): Schedule | undefined =>
  s === undefined || typeof s === 'number' || f === 1 ? s
    : 'steps' in s ? { steps: s.steps.map(([t, v]) => [Math.round(t * f), v] as [number, number]) }
      : { linear: s.linear.map(([t, v]) => [Math.round(t * f), v] as [number, number]) };

/** Resizes images to the working size and stacks them: K x C x h x w. */
export function toBatch(images: Image[], size: { width: number; height: number }, device: string): Tensor {
  return torch.tidy(() => torch.cat(images.map((img) => imageToTensor(resizeImage(img, size.width, size.height), device)), 0));
}

/** A layer output (1 x C x h x w) back at the input's resolution: lazy, upsampled a strip at a time when read. */
export function toOutput(t: Tensor, width: number, height: number): Image {
  const img = tensorToImage(t);
  return img.width === width && img.height === height ? img : resizeLazily(img, width, height);
}

/** Runs a decomposition with the task options; applies seed, device and threads. */
export async function runDecomposition(d: Decomposition, o: TaskOptions): Promise<TrainResult> {
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  return train(d, {
    seed: o.seed ?? DEFAULT_SEED, maxSeconds: o.maxSeconds, signal: o.signal, onProgress: o.onProgress,
    previewEvery: o.previewEvery,
    onPreview: o.onPreview && ((p) => o.onPreview!({
      iteration: p.iteration, input: p.input,
      images: Object.fromEntries([...Object.entries(p.layers).filter(([, t]) => t.numel > 1).map(([n, t]) => [n, tensorToImage(t)]),
        ['reconstruction', tensorToImage(p.reconstruction)]]),
    })),
  });
}

export function deviceOf(o: TaskOptions): string {
  const device = o.device ?? 'cpu';
  torch.setDefaultDevice(device); // throws a clear error for an unusable device
  return device;
}

/** The report every task writes. */
export function makeReport(task: string, inputs: Image[], size: { width: number; height: number }, r: TrainResult,
  d: Decomposition, o: TaskOptions, extra: Record<string, unknown> = {}): Report {
  const info = torch.engineInfo();
  const last = r.history[r.history.length - 1];
  return {
    task,
    inputs: inputs.map((i) => ({ width: i.width, height: i.height })),
    processedSize: size,
    iterations: r.iterations,
    plannedIterations: d.phases.reduce((n, p) => n + p.iterations, 0),
    seconds: Math.round(r.seconds * 100) / 100,
    stopReason: r.stopReason,
    psnr: Math.round(r.psnr * 1000) / 1000,
    finalLosses: last ? { total: last.loss, ...last.terms } : {},
    seed: o.seed ?? DEFAULT_SEED,
    settings: {
      size: o.size ?? DEFAULT_SIZE, iterations: o.iterations ?? null, maxSeconds: o.maxSeconds ?? null,
      layers: d.layers.map(({ name, net, channels, noise, output, size: s }) => ({ name, net, channels, noise, output, size: s })),
      mixtures: d.mixtures, phases: d.phases, batch: d.batch ?? null,
    },
    engine: { torch: info.torchVersion, device: o.device ?? 'cpu', threads: info.threads, allocator: info.allocator },
    ...extra,
  };
}

/** Options for run k of n repeated runs: progress phases named "run 2/3 joint" so a progress bar says where it is. */
export function inRun<O extends TaskOptions>(o: O, k: number, n: number, word = 'run'): O {
  if (n === 1 || !o.onProgress) return o;
  const onProgress = o.onProgress;
  return { ...o, onProgress: (p: Progress) => onProgress({ ...p, phase: `${word} ${k + 1}/${n} ${p.phase}` }) };
}

/** What is left of a time budget after earlier runs (undefined: no budget). */
export function remaining(maxSeconds: number | undefined, done: TaskResult[]): number | undefined {
  return maxSeconds === undefined ? undefined : maxSeconds - done.reduce((s, r) => s + r.report.seconds, 0);
}

/** Frees every tensor of a training result. */
export function disposeResult(r: TrainResult): void {
  torch.dispose(r.reconstructions);
  for (const ts of Object.values(r.layers)) torch.dispose(ts);
}

/** Checks that every image has the size of the first. */
export function assertSameSize(images: Image[], names: string[]): void {
  const [a] = images;
  images.forEach((b, i) => {
    if (b.width !== a.width || b.height !== a.height)
      throw new Error(`Input images must have the same size: ${names[0]} is ${a.width}x${a.height} but ${names[i]} is ${b.width}x${b.height}. Resize them to one size first.`);
  });
}
