// The complexity curve (paper section 2.1, Fig. 3): one DIP learns an image alone; a mixture
// takes longer and ends higher than its layers, which is what Double-DIP relies on.
import type { Image } from '../image/image.js';
import { resizeImage } from '../image/resize.js';
import { run } from '../core/run.js';
import { workingSize } from '../core/working-size.js';
import { DEFAULT_SIZE, type TaskOptions } from './common.js';
import type { ConfigName } from '../nn/skip.js';
import { checkImage, checkOptions } from './options.js';

export interface ComplexityOptions extends TaskOptions {
  /** The DIP configuration that learns each image: 'A', 'B', 'C', 'D' (the authors') or 'dip' (DIP's default). Default 'B'. */
  net?: ConfigName;
}
export interface ComplexityCurve { name: string; width: number; height: number; mse: number[]; finalMse: number; areaUnderCurve: number; seconds: number }

/** The complexity curve's settings (echoed with each curve). */
export const COMPLEXITY_RECIPE = {
  /** Iterations per image: enough for the curves to separate (paper Fig. 3). */
  iterations: 500,
  /** Adam's learning rate (DIP's). */
  lr: 1e-3,
  /** Smallest working side, px: config B's five levels need it. */
  minSide: 128,
};
export const COMPLEXITY_ITERATIONS = COMPLEXITY_RECIPE.iterations;

export async function complexity(images: { name: string; image: Image }[], o: ComplexityOptions = {}): Promise<ComplexityCurve[]> {
  checkOptions('complexity', o);
  if (!Array.isArray(images) || images.length < 1) throw new Error('complexity takes at least one {name, image}');
  images.forEach((e, i) => checkImage(e?.image, `images[${i}].image`));
  const curves: ComplexityCurve[] = [];
  const net = o.net ?? 'B';
  for (const { name, image } of images) {
    const size = workingSize(image.width, image.height, o.size ?? DEFAULT_SIZE, [net], COMPLEXITY_RECIPE.minSide);
    const r = await run({
      inputs: [resizeImage(image, size.width, size.height)], keepBest: false,
      layers: [{ name: 'y', net, channels: 3, noise: { channels: 8, scale: 0.1 } }],
      mixtures: [{ kind: 'sum', layers: ['y'] }],
      phases: [{ name: 'fit', iterations: o.iterations ?? COMPLEXITY_ITERATIONS, lr: COMPLEXITY_RECIPE.lr, terms: [{ kind: 'reconstruction', metric: 'mse' }] }],
    }, o);
    const mse = r.history.map((h) => h.loss);
    curves.push({ name, width: image.width, height: image.height, mse, finalMse: mse[mse.length - 1],
      areaUnderCurve: mse.reduce((s, v) => s + v, 0) / mse.length, seconds: r.seconds });
  }
  return curves;
}
