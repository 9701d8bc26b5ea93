// The one runner: a decomposition over host images in, host images out. Device, threads and seed
// are settings of a run, set for its duration and put back after it (the CPU generator's state too); the runner owns every tensor
// of the run (inputs, given maps, networks, outputs) and frees them all, whatever happens.
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Image } from '../image/image.js';
import { imageToTensor, tensorToImage } from './images.js';
import { train, type HistoryPoint, type Progress, type TrainResult } from './trainer.js';
import type { Decomposition } from './spec.js';

export const DEFAULT_SEED = 0;

export interface RunSettings {
  /** Compute device: 'cpu', 'cuda' or 'cuda:N' (cuda needs a CUDA libtorch). Default 'cpu'. */
  device?: string;
  /** CPU threads for this run, 1-256; the process's count is put back afterwards. Default: all cores. */
  threads?: number;
  /** Random seed, 0 to 2^31 - 1: the same seed and thread count give the same result on CPU. Default 0. */
  seed?: number;
  /** Stop after this many seconds (above 0, at most a week) and keep the best result so far. Default: no limit. */
  maxSeconds?: number;
  /** Aborting it stops training; the task still returns the best result so far (report.stopReason 'aborted'). */
  signal?: AbortSignal;
  /** Called after every iteration (on CUDA every CUDA_READ_EVERY-th) with the phase, iteration, loss, PSNR, elapsed seconds and ETA. */
  onProgress?: (p: Progress) => void;
  /** Called every previewEvery iterations with the current layers of input `input` (0-based) at the working size. */
  onPreview?: (p: { iteration: number; input: number; images: Record<string, Image> }) => void;
  /** Iterations between previews (1-100000). Default 50. */
  previewEvery?: number;
}

/**
 * A decomposition as a recipe writes it: the inputs at the working size (one size) and the given
 * maps as host images: one image for a map shared by every input, or one per input.
 */
export interface Plan extends Omit<Decomposition, 'inputs' | 'given'> {
  inputs: Image[];
  given?: Record<string, Image | Image[]>;
}

export interface RunResult {
  /** Each layer at each input it takes part in, at the working size (scalar layers: 1 x 1 images); index by input. */
  layers: Record<string, Image[]>;
  reconstructions: Image[];
  psnr: number;
  iterations: number;
  plannedIterations: number;
  seconds: number;
  stopReason: TrainResult['stopReason'];
  history: HistoryPoint[];
  /** What the run actually used. */
  device: string;
  threads: number;
  seed: number;
}

/** A result reached without training (a recipe that solves its plan directly): no iterations, the run's settings as they would have been. */
export function untrainedResult(r: Pick<RunResult, 'layers' | 'reconstructions' | 'psnr' | 'seconds'>, s: RunSettings = {}): RunResult {
  return { ...r, iterations: 0, plannedIterations: 0, stopReason: 'completed', history: [],
    device: s.device ?? 'cpu', threads: s.threads ?? torch.getNumThreads(), seed: s.seed ?? DEFAULT_SEED };
}

// libtorch's thread count, RNG and default device are process-wide: runs take turns, so two
// calls at once (a library user's, the web server's) cannot change them under each other.
let turn: Promise<unknown> = Promise.resolve();

/** Trains a plan; every tensor it makes is freed before it returns. */
export function run(plan: Plan, s: RunSettings = {}): Promise<RunResult> {
  const mine = turn.then(() => runNow(plan, s));
  turn = mine.catch(() => undefined);
  return mine;
}

async function runNow(plan: Plan, s: RunSettings): Promise<RunResult> {
  const device = s.device ?? 'cpu', seed = s.seed ?? DEFAULT_SEED;
  const threadsBefore = torch.getNumThreads(), deviceBefore = torch.defaultDevice(), rngBefore = torch.getRngState();
  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => { owned.push(torch.keep(t)); return t; };
  let trained: TrainResult | undefined;
  try {
    torch.setDefaultDevice(device); // throws a clear error for an unusable device
    if (s.threads !== undefined) torch.setNumThreads(s.threads);
    const stack = (images: Image[]) => own(torch.tidy(() => torch.cat(images.map((img) => imageToTensor(img, device)), 0)));
    const given = plan.given && Object.fromEntries(Object.entries(plan.given).map(([name, m]) => [name, stack(Array.isArray(m) ? m : [m])]));
    const d: Decomposition = { ...plan, inputs: stack(plan.inputs), given };
    trained = await train(d, {
      seed, maxSeconds: s.maxSeconds, signal: s.signal, onProgress: s.onProgress, previewEvery: s.previewEvery,
      onPreview: s.onPreview && ((p) => s.onPreview!({
        iteration: p.iteration, input: p.input,
        images: Object.fromEntries([...Object.entries(p.layers).filter(([, t]) => t.numel > 1).map(([n, t]) => [n, tensorToImage(t)]),
          ['reconstruction', tensorToImage(p.reconstruction)]]),
      })),
    });
    const layers = Object.fromEntries(Object.entries(trained.layers).map(([name, ts]) => [name, ts.map((t) => tensorToImage(t))]));
    return {
      layers, reconstructions: trained.reconstructions.map((t) => tensorToImage(t)), psnr: trained.psnr,
      iterations: trained.iterations, plannedIterations: plan.phases.reduce((n, p) => n + p.iterations, 0),
      seconds: trained.seconds, stopReason: trained.stopReason, history: trained.history,
      device, threads: torch.getNumThreads(), seed,
    };
  } finally {
    if (trained) { torch.dispose(trained.reconstructions); for (const ts of Object.values(trained.layers)) torch.dispose(ts); }
    torch.dispose(owned);
    torch.setNumThreads(threadsBefore);
    torch.setDefaultDevice(deviceBefore);
    torch.setRngState(rngBefore);
  }
}

/** What a repeated run reports of itself. */
interface Timed { report: { seconds: number; stopReason: string } }

/**
 * Up to n runs (watermark's runs, dehazing's passes) within one time budget: run k gets what is
 * left of it, progress phases are named "run 2/3 joint", and a run stopped by a signal or the
 * budget ends the series. `one(k, settings)` does run k; returns the runs done.
 */
export async function repeat<T extends Timed>(n: number, s: RunSettings, word: string,
  one: (k: number, s: RunSettings, done: T[]) => Promise<T>): Promise<T[]> {
  const done: T[] = [];
  for (let k = 0; k < n; k++) {
    const left = s.maxSeconds === undefined ? undefined : s.maxSeconds - done.reduce((t, r) => t + r.report.seconds, 0);
    if (left !== undefined && left <= 0) break;
    const onProgress = n === 1 || !s.onProgress ? s.onProgress
      : ((p: Progress) => s.onProgress!({ ...p, phase: `${word} ${k + 1}/${n} ${p.phase}` }));
    done.push(await one(k, { ...s, onProgress, maxSeconds: left }, done));
    const stop = done[k].report.stopReason;
    if (stop === 'aborted' || stop === 'time') break;
  }
  return done;
}
