// Image dehazing (paper section 5, eq. 8):  I = t * J + (1 - t) * A
// Three DIPs: the haze-free image J, the transmission map t (the "mask" of the blend) and the
// airlight map A (from a coordinate meshgrid, so it can only vary smoothly). A is pulled
// towards an automatic estimate A0 early on; t and A are kept smooth. As the authors' code,
// the final image is not the J net: t is refined with the guided filter at full resolution
// and J* = clip((I - (1 - t~) * A) / t~, 0, 1) is solved from the input. The reference then runs
// a second full pass on J*; here that is `passes: 2` (off by default: see bench/quality-dehaze-watermark).
// Beyond the reference (DEHAZE_DEFAULTS, measured): A is made coarse and stays pulled to A0, t
// starts from the dark channel prior's transmission (a hint, relaxed after the hint share of the run, as
// segmentation's hints), and J bears the dark channel prior, which is what makes it haze-free
// rather than a copy of I.
import { channelMeans, type Image } from '../image/image.js';
import { resizeImage, toRgb } from '../image/resize.js';
import { darkChannel, estimateAirlight } from '../image/dark-channel.js';
import type { Term } from '../core/spec.js';
import { repeat, run, type Plan } from '../core/run.js';
import { makeReport } from '../core/report.js';
import { clippedShare, judge, transmissionUniform } from '../image/checks.js';
import { workingSize } from '../core/working-size.js';
import { refineMask } from '../image/mask.js';
import { DCP_DEFAULTS, checkAirlight, dcpTransmission, type DcpOptions } from '../image/dcp.js';
import { multiply } from '../image/pixel.js';
import { recoverScene } from '../image/solve.js';
import { dehazeDcp } from './dcp.js';
import { DEFAULT_SIZE, scalePhases, toOutput, type TaskOptions, type TaskResult } from './common.js';
import { checkImage, checkOptions } from './options.js';

export type DehazeMethod = 'double-dip' | 'dcp';

export interface DehazeOptions extends TaskOptions, DehazeRecipe {
  /** 'double-dip' (three coupled DIPs, minutes) or 'dcp' (He et al.'s dark channel prior, no training, seconds). Default 'double-dip'. */
  method?: DehazeMethod;
  /**
   * A known airlight colour in [0, 1], as the authors hard-coded per demo image: A0 for Double-DIP
   * (the A layer is pulled to it), A itself for DCP. Default: estimated (see airlightEstimate).
   */
  airlight?: [number, number, number];
  /** method 'dcp': the dark channel prior's parameters (patch, omega, t0, radius, eps, airlightMode). Default: He et al.'s. */
  dcp?: DcpOptions;
  /** Full Double-DIP passes, 1-3, each on the previous pass's J* (the reference runs 2). Default 1. */
  passes?: number;
}

/**
 * A0: the dark-channel estimate (He et al.): among the 0.1% of pixels with the brightest 15 px
 * dark channel, the colour of the brightest input pixel (as DCP). Measured against averaging
 * their colours ('mean'), with A held near A0: aloe 21.13 -> 21.58 dB, astronaut 18.54 -> 18.82.
 * The authors hard-coded per-image values from Bahat & Irani's method instead.
 */
export function airlightEstimate(img: Image): [number, number, number] {
  const rgb = toRgb(img);
  return estimateAirlight(rgb, darkChannel(rgb, 15), 0.001, 'brightest');
}

/** Recipe choices beyond the reference's (see DEHAZE_DEFAULTS for what is measured best). */
export interface DehazeRecipe {
  /** Weight (0-1000) of the dark channel prior on J (0: the reference's pure separation). Default 0.05. */
  darkChannel?: number;
  /** Count each pixel of the dark channel prior by t (held fixed): the prior holds for the scene, which shows only where t is not small. Default true. */
  darkChannelByT?: boolean;
  /** A is made at 1/airlightGrid (1-256) of the working size and upsampled, so it cannot copy scene detail (1: full size). Default 4. */
  airlightGrid?: number;
  /** Weight (0-1000) of the pull of A to A0 after the hint share of the run (matchUntil; reference: 0). Default 1. */
  airlightPull?: number;
  /** Weight (0-1000) of a pull of t to the dark channel prior's transmission during the hint share of the run (matchUntil; 0: none). Default 1. */
  transmissionHint?: number;
  /** Weight (0-1000) of that pull after the hint share. Default 0.1. */
  transmissionHintAfter?: number;
}

/** The recipe options' defaults (DehazeRecipe documents each); measurements in docs/benchmarks.md, "Dehazing". */
export const DEHAZE_DEFAULTS: Required<DehazeRecipe> = { darkChannel: 0.05, darkChannelByT: true, airlightGrid: 4, airlightPull: 1, transmissionHint: 1, transmissionHintAfter: 0.1 };

/** Every tuned number of the dehazing recipe (echoed in report.json). */
export const DEHAZE_RECIPE = {
  ...DEHAZE_DEFAULTS,
  /** Iterations (reference: 4000): t and A settle early and J* is solved from them; 1000 kept 1500's quality on the dev set (docs/benchmarks.md, "Dehazing in 1000 iterations"). */
  iterations: 1000,
  /**
   * The working size unless --size: the result is solved at full resolution from t (refined by the guided filter) and A
   * (smooth), not taken from the J net, so the nets need few pixels; 128 against 256: dev set tuning half 17.36 -> 17.56
   * dB, check 17.34 -> 17.47; with it dehazing is 3.8-4.7x faster than issue 22's baseline (docs/benchmarks.md,
   * "Dehazing at 128 px").
   */
  size: 128,
  /** Adam's learning rate (the reference's). */
  lr: 1e-3,
  /** sigma of the noise perturbation of J and A (the reference's). */
  perturb: 1 / 30,
  /** Smoothness weights on t and A (the reference's). */
  smoothT: 0.005,
  smoothA: 0.1,
  /** Share of the run during which t is pulled fully to DCP's transmission (and A to A0 with weight 1): 375 iterations, as the former 1500-iteration run's first quarter. */
  matchUntil: 0.375,
  /** t is kept above this when J* is solved (J* blows up noise near 0). */
  tMin: 0.1,
  /** A transmission whose 5th-95th percentile spread is under this is uniform: no depth-dependent haze found (checks.ts). */
  minTransmissionSpread: 0.05,
  /** Over this share of pixels clipped to black or white by the solve (and not in the input), the haze was over-removed (checks.ts). */
  maxClippedShare: 0.05,
};
export const DEHAZE_ITERATIONS = DEHAZE_RECIPE.iterations;
export const T_MIN = DEHAZE_RECIPE.tMin;

/** Three config-B DIPs (J, t, A). */
export const dehazeSize = (width: number, height: number, size = DEFAULT_SIZE) => workingSize(width, height, size, ['B']);

/** The recipe over inputs at the working size; tHint: the dark channel prior's transmission at that size (one map, or one per input). */
export function dehazing(inputs: Image[], A0: [number, number, number], o: TaskOptions & DehazeRecipe, tHint?: Image | Image[], matchUntil = DEHAZE_RECIPE.matchUntil): Plan {
  const total = o.iterations ?? DEHAZE_ITERATIONS;
  const dark = o.darkChannel ?? DEHAZE_DEFAULTS.darkChannel, grid = o.airlightGrid ?? DEHAZE_DEFAULTS.airlightGrid;
  const pull = o.airlightPull ?? DEHAZE_DEFAULTS.airlightPull, byT = o.darkChannelByT ?? DEHAZE_DEFAULTS.darkChannelByT;
  const perturb = DEHAZE_RECIPE.perturb;
  const H = inputs[0].height, W = inputs[0].width;
  const cells = (n: number) => 32 * Math.max(2, Math.round(n / grid / 32)); // config B needs multiples of 32, at least 64
  const aSize: [number, number] | undefined = grid > 1 ? [cells(H), cells(W)] : undefined;
  const hintWeight = tHint ? o.transmissionHint ?? DEHAZE_DEFAULTS.transmissionHint : 0;
  const hintUntil = Math.max(1, Math.round(matchUntil * total));
  return {
    inputs,
    ...(tHint && hintWeight > 0 ? { given: { tDcp: tHint } } : {}),
    layers: [
      { name: 'J', net: 'B', channels: 3, noise: { channels: 8, scale: 0.1 }, perturb },
      { name: 't', net: 'B', channels: 1, noise: { channels: 8, scale: 0.1 } },
      { name: 'A', net: 'B', channels: 3, noise: { channels: 2, kind: 'meshgrid' }, perturb, ...(aSize ? { size: aSize } : {}) },
    ],
    mixtures: [{ kind: 'blend', mask: 't', a: 'J', b: 'A' }],
    phases: scalePhases([{
      name: 'joint', iterations: total, lr: DEHAZE_RECIPE.lr,
      terms: [
        { kind: 'reconstruction', metric: 'mse' },
        { kind: 'smooth', layer: 't', weight: DEHAZE_RECIPE.smoothT },
        { kind: 'smooth', layer: 'A', weight: DEHAZE_RECIPE.smoothA },
        { kind: 'match', layer: 'A', target: A0, metric: 'mse', weight: { steps: [[0, 1], [hintUntil, pull]] } },
        ...(tHint && hintWeight > 0 ? [{ kind: 'match', layer: 't', target: 'tDcp', metric: 'mse', weight: { steps: [[0, hintWeight], [hintUntil, o.transmissionHintAfter ?? DEHAZE_DEFAULTS.transmissionHintAfter]] } } satisfies Term] : []),
        ...(dark > 0 ? [{ kind: 'dark-channel', layer: 'J', weight: dark, ...(byT ? { by: 't' } : {}) } as const] : []),
      ],
    }], total),
  };
}

/** dehaze()'s images: the haze-free scene, the transmission (white = clear), the airlight map; Double-DIP also gives its J net's output. */
export type DehazeResult = TaskResult<'dehazed' | 'transmission' | 'airlight'>;

export async function dehaze(image: Image, o: DehazeOptions = {}): Promise<DehazeResult> {
  checkOptions('dehaze', o, { images: 1 });
  checkImage(image, 'image');
  const method = o.method ?? 'double-dip';
  if (method === 'dcp') return checked(image, dehazeDcp(image, { ...o.dcp, ...(o.airlight ? { airlight: o.airlight } : {}) }) as DehazeResult);
  const passes = o.passes ?? 1;
  const results = await repeat<TaskResult>(passes, o, 'pass', (p, settings, done) =>
    // A0 is re-estimated on J*: the first pass's airlight is mostly gone from it.
    p === 0 ? dehazePass(toRgb(image), o.airlight, { ...o, ...settings }) : dehazePass(done[p - 1].images.dehazed, undefined, { ...o, ...settings }));
  let result = results[0];
  const history = [...result.history], psnrs = [result.report.psnr];
  for (const next of results.slice(1)) {
    next.images.transmission = multiply(result.images.transmission, next.images.transmission);
    history.push(...next.history.map((h) => ({ ...h, iteration: h.iteration + result.report.iterations })));
    psnrs.push(next.report.psnr);
    next.report.iterations += result.report.iterations;
    next.report.seconds = Math.round((next.report.seconds + result.report.seconds) * 100) / 100;
    next.report.A0 = result.report.A0;
    next.report.airlightEstimator = result.report.airlightEstimator;
    result = next;
  }
  result.report.passes = psnrs.length;
  result.report.passPsnr = psnrs;
  return checked(image, { ...result, history } as DehazeResult);
}

/** The result's own checks (checks.ts): a uniform transmission, a large clipped share. The images are kept as they are. */
function checked(image: Image, result: DehazeResult): DehazeResult {
  const verdict = judge([transmissionUniform(result.images.transmission, DEHAZE_RECIPE.minTransmissionSpread),
    clippedShare(toRgb(image), result.images.dehazed, DEHAZE_RECIPE.maxClippedShare)]);
  return { ...result, report: { ...result.report, ...verdict } };
}

/**
 * The final image, as the authors: t~ is the net's t refined at full resolution, guided by the
 * input, and kept above T_MIN (J* blows up noise near 0); J* = (I - (1 - t~) A) / t~.
 */
export function solveScene(rgb: Image, t: Image, A: [number, number, number] | Image): { transmission: Image; dehazed: Image } {
  const transmission = refineMask(rgb, t);
  for (let i = 0; i < transmission.data.length; i++) transmission.data[i] = Math.max(T_MIN, transmission.data[i]);
  return { transmission, dehazed: recoverScene(rgb, transmission, A, T_MIN) };
}

/** One Double-DIP pass on an RGB image. */
async function dehazePass(rgb: Image, given: [number, number, number] | undefined, o: DehazeOptions): Promise<TaskResult> {
  const A0 = given ? checkAirlight(given) : airlightEstimate(rgb);
  const size = dehazeSize(rgb.width, rgb.height, o.size ?? DEHAZE_RECIPE.size);
  const tHint = (o.transmissionHint ?? DEHAZE_DEFAULTS.transmissionHint) > 0 ? dcpTransmissionMap(rgb, A0, size) : undefined;
  const plan = dehazing([resizeImage(rgb, size.width, size.height)], A0, o, tHint);
  const r = await run(plan, o);
  const { width, height } = rgb;
  const airlight = toOutput(r.layers.A[0], width, height);
  const { transmission, dehazed } = solveScene(rgb, toOutput(r.layers.t[0], width, height), airlight);
  const report = makeReport('dehaze', [rgb], size, r, plan, { ...o, size: o.size ?? DEHAZE_RECIPE.size }, {
    method: 'double-dip', A0: A0.map((v) => Math.round(v * 1e4) / 1e4), airlightEstimator: given ? 'given' : 'dark channel: brightest pixel of the 0.1% haziest',
    meanAirlight: channelMeans(r.layers.A[0]).map((v) => Math.round(v * 1e4) / 1e4),
    recipe: { ...DEHAZE_RECIPE, darkChannel: o.darkChannel ?? DEHAZE_DEFAULTS.darkChannel, darkChannelByT: o.darkChannelByT ?? DEHAZE_DEFAULTS.darkChannelByT, airlightGrid: o.airlightGrid ?? DEHAZE_DEFAULTS.airlightGrid,
      airlightPull: o.airlightPull ?? DEHAZE_DEFAULTS.airlightPull, transmissionHint: o.transmissionHint ?? DEHAZE_DEFAULTS.transmissionHint,
      transmissionHintAfter: o.transmissionHintAfter ?? DEHAZE_DEFAULTS.transmissionHintAfter },
  });
  const images = { dehazed, transmission, airlight, 'J-net': toOutput(r.layers.J[0], width, height) };
  return { task: 'dehaze', images, report, history: r.history };
}

/** The dark channel prior's refined transmission (He et al.) for A0, computed at full size, returned at the working size. */
export function dcpTransmissionMap(rgb: Image, A0: [number, number, number], size: { width: number; height: number }): Image {
  const t = refineMask(rgb, dcpTransmission(rgb, A0, DCP_DEFAULTS.patch, DCP_DEFAULTS.omega), DCP_DEFAULTS.radius, DCP_DEFAULTS.eps);
  return resizeImage(t, size.width, size.height);
}
