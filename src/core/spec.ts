// A decomposition described as data: which DIPs make which layers, how the layers mix into
// each input, and what the loss asks of them, phase by phase. One trainer (trainer.ts) runs
// any such description; every task is a recipe that writes one.
import type { Tensor } from '../tensor/index.js';
import type { ConfigName, SkipConfig } from '../nn/skip.js';

/** A value over iterations: a constant, stepwise points [[iter, value], ...] or linear ones. */
export type Schedule = number | { steps: [number, number][] } | { linear: [number, number][] };

export interface NoiseSpec {
  channels: number;
  kind?: 'uniform' | 'meshgrid'; // meshgrid: 2 coordinate channels in [0, 1]
  scale?: number; // z = U(-0.5, 0.5) * scale
  /** shared: one z for every input; independent: one z per input; drift: z_{k+1} = z_k + U(-d/2, d/2) (paper eq. 5) */
  perInput?: 'shared' | 'independent' | 'drift';
  drift?: number;
  /** Use another layer's noise tensor (the reference feeds fg and bg the same z). */
  shareWith?: string;
}

export interface LayerSpec {
  name: string;
  net: ConfigName | SkipConfig;
  channels: number; // 3 for an image layer, 1 for a mask
  noise: NoiseSpec;
  /** sigma_t of the fresh N(0, 1) perturbation added to z each iteration. */
  perturb?: Schedule;
  /** scalar: one learned value per input and channel (a uniform mask, a mixing coefficient, an RGB airlight), in `range`. */
  output?: 'map' | 'scalar';
  range?: [number, number];
  /** Noise size [H, W] when not the inputs' own: a scalar layer needs no full-size net; a map is upsampled (bilinear) to the inputs' size. */
  size?: [number, number];
  /** Inputs this layer takes part in (default: all). */
  inputs?: number[];
  lr?: number;
}

/** How input k is reconstructed from layers. Names refer to layers or given maps. */
export type Mixture =
  | { kind: 'blend'; mask: string; a: string; b: string; maskWithin?: string } // m*a + (1-m)*b, m optionally times a given map
  | { kind: 'sum'; layers: string[] };

export type Term =
  | { kind: 'reconstruction'; metric?: 'l1' | 'mse'; weight?: Schedule }
  | { kind: 'hint-reconstruction'; layer: string; hint: string; weight?: Schedule } // ExtL1(layer, I, hint)
  | { kind: 'exclusion'; layers: [string, string]; weight?: Schedule; at?: [number, number] } // at: layer 1 at input at[0], layer 2 at input at[1]
  | { kind: 'binary'; layer: string; weight?: Schedule }
  | { kind: 'smooth'; layer: string; weight?: Schedule }
  // The dark channel prior on a haze-free layer; `by`: each pixel counted by that 1-channel layer's
  // value, held fixed (dehazing: by t, so the prior speaks where the scene shows through the haze).
  | { kind: 'dark-channel'; layer: string; by?: string; weight?: Schedule }
  // Distance of a layer to a constant or a given map; `within`: only where that given map is on
  // (segmentation: the mask hint counts where the hints say fg or bg, not in the unknown band).
  | { kind: 'match'; layer: string; target: number | number[] | string; metric?: 'l1' | 'mse'; within?: string; weight?: Schedule };

export interface Phase {
  name: string;
  iterations: number;
  terms: Term[];
  lr?: number; // Adam learning rate (a fresh Adam starts each phase)
  /** 8-fold augmentation: 'all' iterations, 'even' ones, or none. */
  augment?: 'all' | 'even' | 'none';
  /** Stop the phase once the reconstruction PSNR (dB) exceeds this. */
  stopAbovePsnr?: number;
}

export interface Decomposition {
  /** The images to explain: K x 3 x H x W, H and W multiples of 2^levels of every net. */
  inputs: Tensor;
  layers: LayerSpec[];
  /** Fixed maps (hints, boxes): K x C x H x W or 1 x C x H x W. */
  given?: Record<string, Tensor>;
  /** One mixture per input. */
  mixtures: Mixture[];
  phases: Phase[];
  /** Inputs per iteration (mini-batch, for video); default all. */
  batch?: number;
  /** Keep the networks of the iteration with the best reconstruction PSNR (default true). */
  keepBest?: boolean;
}
