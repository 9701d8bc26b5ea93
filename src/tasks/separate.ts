// Transparent layer separation (paper section 4).
//  two mixtures (eq. 6):  I_k = m_k * y1 + (1 - m_k) * y2, k = 1, 2; y1, y2 shared, m_k learned
//  one image:             I = m * y1 + (1 - m) * y2 with one learned uniform m, exclusion loss
//  texture sum:           I = y1 + y2 (the authors' texture demo)
import type { Image } from '../image/image.js';
import { solveTwoMixtures } from '../image/solve.js';
import { estimateMixing } from '../image/mixing.js';
import { toRgb } from '../image/resize.js';
import { blend } from '../image/pixel.js';
import { resizeImage } from '../image/resize.js';
import type { LayerSpec, Mixture, Term } from '../core/spec.js';
import { referencePerturbation } from '../core/schedule.js';
import { run, untrainedResult, type Plan, type RunResult } from '../core/run.js';
import { meanSquaredError, psnrOf } from '../image/compare.js';
import { makeReport } from '../core/report.js';
import { coefficientsTooClose, judge, layerNearlyFlat, layersAlike } from '../image/checks.js';
import { workingSize } from '../core/working-size.js';
import { layersAtSize } from '../image/layer-upsample.js';
import { DEFAULT_SIZE, assertSameSize, scalePhases, toOutput, type TaskOptions, type TaskResult } from './common.js';
import { checkImage, checkOptions } from './options.js';

export interface SeparateOptions extends TaskOptions {
  /** One image: 'blend' (I = m y1 + (1 - m) y2 with one learned m, the paper) or 'sum' (I = y1 + y2). Default 'blend'. */
  model?: 'blend' | 'sum';
  /**
   * Two mixtures: 'solved' (default) takes the coefficients (see `coefficients`) and solves the two layers
   * from the inputs exactly; 'net' takes the layer DIPs' outputs (the authors' code). Default 'solved'.
   */
  layers?: 'solved' | 'net';
  /**
   * Two mixtures: the coefficients that solve the layers: 'estimated' (default) measured from the
   * inputs (image/mixing.ts), falling back to the learned ones when the inputs give no estimate;
   * 'learned' the coefficient DIP's (the paper, the authors' code).
   */
  coefficients?: 'estimated' | 'learned';
}


/** Every tuned number of the separation recipes (echoed in report.json). */
export const SEPARATE_RECIPE = {
  /** Iterations: two mixtures, one image (the reference's). */
  iterations: { two: 2000, single: 2000 },
  /** Adam's learning rate: two mixtures, one image (the reference's). */
  lr: { two: 1e-3, single: 5e-4 },
  /** Exclusion loss weight: blend models, the texture sum (the reference's). */
  exclusion: { blend: 0.1, sum: 0.01 },
  /** Two mixtures: the coefficients are pulled to 0.5 with this weight until `coefficientPullUntil`, off the trivial 0/1. */
  coefficientPull: 0.5,
  coefficientPullUntil: 1000,
  /** Below this gap between the two learned coefficients the solve is ill-conditioned: the DIP layers are kept. */
  minCoefficientGap: 0.15,
  /** Estimated coefficients: the search's long side in px (about 1 s on an idle core; exact mixtures of the dev set solve to 46-62 dB at 128). */
  estimateSide: 128,
  /** Estimated coefficients closer than this are refused: the solve divides by the gap, which would amplify 1% noise 20x or more. */
  minEstimatedGap: 0.05,
  /** One image: a layer carrying less than this share of the input's contrast is flat, nothing separated (checks.ts, layerNearlyFlat). */
  minLayerShare: 0.1,
  /** One image: layers whose gradient magnitudes correlate above this show the same edges, copies of the input (checks.ts, layersAlike). */
  maxLayerCorrelation: 0.9,
  /** Config C (5x5 kernels) for the layers; working side at least 128 px. */
  net: 'C' as const,
  minSide: 128,
  /**
   * One image: the layers brought to the input's size by layersAtSize, guided by the input (a fast guided filter:
   * radius in working px, eps), the rest of the input shared so that they mix back to it: 48 of 48 dev runs gain
   * 0.1-0.9 dB; radius 2-8 within 0.1 dB on the tuning half, 8 swapped a check row's layers at scale 1, so 4
   * ("One-image separation: 128 px measured and not kept; the layers guided by the input").
   */
  upsample: { radius: 4, eps: 1e-4 },
};

export const SEPARATE_ITERATIONS = SEPARATE_RECIPE.iterations;
export const MIN_COEFFICIENT_GAP = SEPARATE_RECIPE.minCoefficientGap;

/** A learned mixing coefficient per input: a small DIP at low resolution, averaged to one value. */
const coefficient = (inputs: number): LayerSpec => ({
  name: 'm', net: 'A', channels: 1, output: 'scalar', range: [0.05, 0.95], size: [32, 32],
  noise: { channels: 2, scale: 0.1, perInput: inputs > 1 ? 'independent' : 'shared' },
});

/** Config C (5 levels, 5x5 kernels) separates at a working side of at least 128 px. */
export const separateSize = (width: number, height: number, size = DEFAULT_SIZE) => workingSize(width, height, size, [SEPARATE_RECIPE.net], SEPARATE_RECIPE.minSide);

export function separation(inputs: Image[], model: 'two' | 'blend' | 'sum', o: TaskOptions): Plan {
  const K = inputs.length;
  const layer = (name: string): LayerSpec => ({ name, net: SEPARATE_RECIPE.net, channels: 3, noise: { channels: model === 'sum' ? 3 : 2, scale: 0.1 },
    perturb: model === 'two' ? undefined : referencePerturbation });
  const mixture: Mixture = { kind: 'blend', mask: 'm', a: 'y1', b: 'y2' };
  if (model === 'two') {
    return {
      inputs, layers: [layer('y1'), layer('y2'), coefficient(K)], mixtures: Array(K).fill(mixture),
      phases: scalePhases([{ name: 'joint', iterations: SEPARATE_ITERATIONS.two, lr: SEPARATE_RECIPE.lr.two, terms: [
        { kind: 'reconstruction', metric: 'mse' },
        { kind: 'exclusion', layers: ['y1', 'y2'], weight: SEPARATE_RECIPE.exclusion.blend },
        // Keeps the coefficients off the trivial 0/1 early on, as the reference.
        { kind: 'match', layer: 'm', target: 0.5, metric: 'mse', weight: { steps: [[0, SEPARATE_RECIPE.coefficientPull], [SEPARATE_RECIPE.coefficientPullUntil, 0]] } },
      ] }], o.iterations),
    };
  }
  const terms: Term[] = [{ kind: 'reconstruction', metric: 'l1' }, { kind: 'exclusion', layers: ['y1', 'y2'], weight: SEPARATE_RECIPE.exclusion[model === 'sum' ? 'sum' : 'blend'] }];
  return {
    inputs,
    layers: model === 'sum' ? [layer('y1'), layer('y2')] : [layer('y1'), layer('y2'), coefficient(1)],
    mixtures: [model === 'sum' ? { kind: 'sum', layers: ['y1', 'y2'] } : mixture],
    phases: scalePhases([{ name: 'joint', iterations: SEPARATE_ITERATIONS.single, lr: SEPARATE_RECIPE.lr.single, augment: 'even', terms }], o.iterations),
  };
}

/** Separates one image, or two mixtures of the same two layers, into layer1 and layer2. */
/**
 * separate()'s images: both layers; one image: `reconstruction`; two: `reconstruction-1`, `reconstruction-2`,
 * and the DIP layers as `layer1-net`, `layer2-net` when the layers were solved.
 */
export type SeparateResult = TaskResult<'layer1' | 'layer2'>;

export async function separate(images: Image[], o: SeparateOptions = {}): Promise<SeparateResult> {
  if (!Array.isArray(images) || images.length < 1 || images.length > 2) throw new Error(`separate takes one or two images, got ${Array.isArray(images) ? images.length : 'no array'}`);
  checkOptions('separate', o, { images: images.length });
  images.forEach((img, i) => checkImage(img, `images[${i}]`));
  assertSameSize(images, images.map((_, i) => `image ${i + 1}`));
  const want = o.layers ?? 'solved';
  const [first] = images;
  const size = separateSize(first.width, first.height, o.size);
  const model = images.length === 2 ? 'two' : o.model ?? 'blend';
  const plan = separation(images.map((img) => resizeImage(img, size.width, size.height)), model, o);
  const started = performance.now();
  // Two mixtures: the coefficients measured from the inputs, unless asked for the learned ones.
  const estimate = model === 'two' && (o.coefficients ?? 'estimated') === 'estimated' ? estimateMixing(images as [Image, Image], SEPARATE_RECIPE.estimateSide) : null;
  const fromData = estimate !== null;
  // When the estimate solves the layers the DIPs would only feed layer*-net, so they train only for
  // --layers net, --coefficients learned or an unusable estimate: minutes become about a second.
  const trained = !(model === 'two' && want === 'solved' && fromData && gapOf(estimate!.coefficients) >= SEPARATE_RECIPE.minEstimatedGap);
  const r = trained ? await run(plan, o) : solvedRun(plan, estimate!.coefficients, o, started);
  const out = (img: Image) => toOutput(img, first.width, first.height);
  const learned = trained && r.layers.m ? r.layers.m.map((m) => m.data[0]) as [number, number] : undefined;
  const coefficients = fromData ? estimate!.coefficients : learned;
  const minGap = fromData ? SEPARATE_RECIPE.minEstimatedGap : MIN_COEFFICIENT_GAP;
  // One image: the layers at full size guided by the input, mixing back to it exactly.
  const [layer1, layer2] = model === 'two' ? [out(r.layers.y1[0]), out(r.layers.y2[0])]
    : layersAtSize(toRgb(first), toRgb(plan.inputs[0]), [r.layers.y1[0], r.layers.y2[0]], model === 'sum' ? [1, 1] : [coefficients![0], 1 - coefficients![0]],
      SEPARATE_RECIPE.upsample.radius, SEPARATE_RECIPE.upsample.eps);
  const images_: Record<string, Image> = { layer1, layer2 };
  const solved = model === 'two' && want === 'solved' && gapOf(coefficients!) >= minGap;
  if (solved) {
    // Given the coefficients, eq. 6 fixes both layers at every pixel, at full resolution and
    // without the DIPs' blur (as the authors solve J* in dehazing).
    if (trained) {
      images_['layer1-net'] = images_.layer1;
      images_['layer2-net'] = images_.layer2;
    }
    [images_.layer1, images_.layer2] = solveTwoMixtures(images.map(toRgb) as [Image, Image], coefficients as [number, number]);
  }
  // The result's own checks, at the working size, where the layers were learned.
  const [y1, y2] = [r.layers.y1[0], r.layers.y2[0]];
  const verdict = judge(model === 'two' ? [coefficientsTooClose(coefficients as [number, number], minGap, fromData ? 'estimated' : 'learned')]
    : [layerNearlyFlat(plan.inputs[0], [y1, y2], model === 'sum' ? [1, 1] : [coefficients![0], 1 - coefficients![0]], SEPARATE_RECIPE.minLayerShare),
      layersAlike(y1, y2, SEPARATE_RECIPE.maxLayerCorrelation)]);
  if (model !== 'two' && verdict.confidence === 'low') {
    // One image, no separation found: the input for both layers is doing nothing, which is what
    // each layer is scored against (a flat layer would score below it on a textured layer); the
    // networks' split stays available as layer1-net, layer2-net.
    images_['layer1-net'] = images_.layer1;
    images_['layer2-net'] = images_.layer2;
    images_.layer1 = images_.layer2 = toRgb(first);
    verdict.concerns[verdict.concerns.length - 1] += ' Both layers returned are the input itself; the networks\' split is kept as layer1-net and layer2-net.';
  }
  // Untrained, the reconstructions are the solved layers mixed again, at full resolution like them.
  if (trained) r.reconstructions.forEach((t, k) => { images_[images.length > 1 ? `reconstruction-${k + 1}` : 'reconstruction'] = out(t); });
  else coefficients!.forEach((m, k) => { images_[`reconstruction-${k + 1}`] = blend(images_.layer2, images_.layer1, m); });
  const report = makeReport('separate', images, size, r, plan, { ...o, size: o.size ?? DEFAULT_SIZE }, { ...verdict, model, coefficients: coefficients ?? null,
    ...(model === 'two' ? { layers: solved ? 'solved' : 'net', coefficientsFrom: fromData ? 'estimated' : 'learned', learnedCoefficients: learned ?? null,
      estimatedCoefficients: estimate?.coefficients ?? null, trained } : {}),
    recipe: SEPARATE_RECIPE });
  return { task: 'separate', images: images_ as SeparateResult['images'], report, history: r.history };
}

const gapOf = ([a, b]: [number, number]) => Math.abs(a - b);

/**
 * Two mixtures solved from estimated coefficients, without training: the run's result with the
 * layers and reconstructions at the working size (eq. 6 exactly) and no iterations.
 */
function solvedRun(plan: Plan, [a, b]: [number, number], o: SeparateOptions, started: number): RunResult {
  const [y1, y2] = solveTwoMixtures(plan.inputs.map(toRgb) as [Image, Image], [a, b]);
  const reconstructions = [a, b].map((m) => blend(y2, y1, m));
  const mse = reconstructions.reduce((s, rec, k) => s + meanSquaredError(rec, toRgb(plan.inputs[k])), 0) / reconstructions.length;
  return untrainedResult({ layers: { y1: [y1, y1], y2: [y2, y2] }, reconstructions, psnr: psnrOf(mse), seconds: (performance.now() - started) / 1000 }, o);
}
