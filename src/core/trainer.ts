// The one training loop of Double-DIP: builds a DIP per layer, mixes their outputs into each
// input as the decomposition says, and minimises its loss terms with Adam, phase by phase.
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { skip, CONFIGS, type Skip } from '../nn/skip.js';
import { groupNets } from '../nn/group.js';
import { l1, maskedDistance, maskedL1, mse } from '../losses/reconstruction.js';
import { exclusionLoss } from '../losses/exclusion.js';
import { binaryMask, darkChannelLoss, distanceTo, smoothness } from '../losses/regularisers.js';
import { IDENTITY, TRANSFORMS, transform } from './augment.js';
import { makeNoise, noiseChannels } from './noise.js';
import { valueAt } from './schedule.js';
import { mulberry32 } from './random.js';
import type { Decomposition, LayerSpec, Mixture, Phase, Term } from './spec.js';
import { TrainingError } from './errors.js';

export interface Progress {
  phase: string;
  iteration: number; // over all phases, from 1
  total: number;
  loss: number;
  psnr: number;
  bestPsnr: number;
  terms: Record<string, number>;
  elapsed: number; // seconds
  eta: number; // seconds
}

/** Current outputs for one input, valid only during the callback. */
export interface Preview { iteration: number; input: number; layers: Record<string, Tensor>; reconstruction: Tensor }

export interface TrainOptions {
  seed?: number;
  maxSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onPreview?: (p: Preview) => void;
  previewEvery?: number;
  /** Train DIPs of one shape as one grouped network (same maths, fewer kernel calls). Default true. */
  groupNets?: boolean;
  /**
   * Read the loss and PSNR every this many steps, and at the end of each phase: on a GPU each read
   * waits for the queued kernels. The best result, the PSNR stop, the divergence check, progress
   * and history go by these reads. Default 1 on the CPU (reading costs nothing there), CUDA_READ_EVERY on CUDA.
   */
  readEvery?: number;
}

/** Steps between reads of the loss on CUDA: the GPU runs ahead of the host between them. */
export const CUDA_READ_EVERY = 10;

export interface HistoryPoint { iteration: number; phase: string; loss: number; psnr: number; terms: Record<string, number> }

export interface TrainResult {
  /** Each layer at each input it takes part in: K x C x H x W (scalars: K x C x 1 x 1); index by input. */
  layers: Record<string, Tensor[]>;
  reconstructions: Tensor[];
  psnr: number; // of the returned reconstructions, over all inputs
  iterations: number;
  seconds: number;
  stopReason: 'completed' | 'psnr' | 'time' | 'aborted';
  history: HistoryPoint[];
  /** Networks trained: DIPs of one shape ran as one grouped network. */
  networks: number;
}

export { TrainingError };

interface Generator { spec: LayerSpec; net: Skip; noise: Tensor; inputs: Set<number>; group?: Group }
/** DIPs computed by one (possibly grouped) network: member j's output is channels [j*width, j*width + its channels). */
interface Group { net: Skip; members: Generator[]; width: number; lr?: number }

const termLabel = (t: Term): string => {
  switch (t.kind) {
    case 'reconstruction': return `reconstruction(${t.metric ?? 'l1'})`;
    case 'hint-reconstruction': return `hint(${t.layer})`;
    case 'exclusion': return `exclusion(${t.layers.join(',')})`;
    case 'match': return `match(${t.layer})`;
    default: return `${t.kind}(${t.layer})`;
  }
};

export async function train(d: Decomposition, opts: TrainOptions = {}): Promise<TrainResult> {
  const K = d.inputs.size(0), H = d.inputs.size(2), W = d.inputs.size(3);
  if (d.mixtures.length !== K) throw new Error(`Decomposition has ${K} inputs but ${d.mixtures.length} mixtures`);
  const seed = opts.seed ?? 0;
  torch.manualSeed(seed);
  const rng = mulberry32(seed);
  const gens = buildGenerators(d, K, H, W);
  const groups = groupGenerators(gens, opts.groupNets ?? true);
  const params = groups.flatMap((g) => g.net.parameters());
  const keepBest = d.keepBest ?? true;
  const batchSize = Math.min(d.batch ?? K, K);
  const readEvery = opts.readEvery ?? (d.inputs.device.startsWith('cuda') ? CUDA_READ_EVERY : 1);
  if (!Number.isInteger(readEvery) || readEvery < 1) throw new Error(`readEvery must be a whole number >= 1, got ${readEvery}`);
  const total = d.phases.reduce((n, p) => n + p.iterations, 0);
  const start = performance.now();
  const history: HistoryPoint[] = [];
  let best: { psnr: number; params: Tensor[] } | null = null;
  let stopReason: TrainResult['stopReason'] = 'completed';
  let iteration = 0;
  let order: number[] = [];
  const nextBatch = (): number[] => {
    if (batchSize === K) return [...Array(K).keys()];
    if (order.length < batchSize) order = order.concat(shuffle([...Array(K).keys()], rng));
    return order.splice(0, batchSize);
  };

  try {
    outer: for (const phase of d.phases) {
      const optimizer = new torch.Adam(groups.map((g) => ({ params: g.net.parameters(), lr: g.lr ?? phase.lr ?? 1e-3 })),
        { lr: phase.lr ?? 1e-3 });
      for (let t = 0; t < phase.iterations; t++) {
        const elapsed = (performance.now() - start) / 1000;
        // Checked before counting: the report's iterations are the steps actually trained.
        if (opts.signal?.aborted) { stopReason = 'aborted'; break outer; }
        if (opts.maxSeconds !== undefined && elapsed > opts.maxSeconds) { stopReason = 'time'; break outer; }
        iteration++;
        const a = augmentation(phase, t, iteration === total, rng);
        const batch = nextBatch();
        const read = (t + 1) % readEvery === 0 || t === phase.iterations - 1;
        const step = torch.tidy(() => {
          optimizer.zeroGrad();
          const ev = evaluate(d, gens, batch, a, t, true);
          const { loss, terms } = objective(d, phase.terms, ev, t, read);
          loss.backward();
          optimizer.step();
          if (opts.onPreview && a === IDENTITY && iteration % (opts.previewEvery ?? 50) === 0) {
            const k = batch[0];
            opts.onPreview({ iteration, input: k, reconstruction: ev.recon.get(k)!,
              layers: Object.fromEntries([...gens.keys()].filter((n) => gens.get(n)!.inputs.has(k)).map((n) => [n, ev.output(n, k)])) });
          }
          return read ? { lossValue: loss.item(), terms, psnr: ev.psnr() } : null;
        });
        if (step) {
          if (!Number.isFinite(step.lossValue)) {
            throw new TrainingError(`Training diverged: the loss became ${step.lossValue} at iteration ${iteration} (phase "${phase.name}"). ` +
              'Try a lower learning rate, a smaller --size, or another --seed.');
          }
          history.push({ iteration, phase: phase.name, loss: step.lossValue, psnr: step.psnr, terms: step.terms });
          if (keepBest && a === IDENTITY && (!best || step.psnr > best.psnr)) best = snapshot(params, best, step.psnr);
          opts.onProgress?.({ phase: phase.name, iteration, total, loss: step.lossValue, psnr: step.psnr, bestPsnr: best?.psnr ?? step.psnr,
            terms: step.terms, elapsed, eta: (elapsed / iteration) * (total - iteration) });
          if (phase.stopAbovePsnr !== undefined && step.psnr > phase.stopAbovePsnr) {
            if (phase === d.phases[d.phases.length - 1]) { stopReason = 'psnr'; break outer; }
            break;
          }
        }
        // Let signals (Ctrl-C), timers and servers run between steps.
        await new Promise((r) => setImmediate(r));
      }
    }
    if (best) torch.noGrad(() => best!.params.forEach((p, i) => params[i].copy_(p)));
    const out = render(d, gens);
    return { ...out, iterations: iteration, seconds: (performance.now() - start) / 1000, stopReason, history, networks: groups.length };
  } finally {
    torch.dispose(best?.params);
    for (const g of groups) torch.dispose(g.net.parameters());
    for (const g of gens.values()) g.noise.dispose();
  }
}

function buildGenerators(d: Decomposition, K: number, H: number, W: number): Map<string, Generator> {
  const gens = new Map<string, Generator>();
  for (const spec of d.layers) {
    if (gens.has(spec.name) || d.given?.[spec.name]) throw new Error(`Duplicate layer name "${spec.name}"`);
    const shared = spec.noise.shareWith ? gens.get(spec.noise.shareWith) : undefined;
    if (spec.noise.shareWith && !shared) throw new Error(`Layer "${spec.name}" shares noise with unknown layer "${spec.noise.shareWith}" (list it first)`);
    const [h, w] = spec.size ?? [H, W];
    const noise = torch.keep(shared ? shared.noise.clone() : makeNoise(spec.noise, K, h, w));
    const net = skip(spec.net, noiseChannels(shared?.spec.noise ?? spec.noise), spec.channels);
    gens.set(spec.name, { spec, net, noise, inputs: new Set(spec.inputs ?? [...Array(K).keys()]) });
  }
  return gens;
}

/**
 * Gathers DIPs that can run as one grouped network: same configuration, noise shape and learning
 * rate (and inputs, where each input has its own noise). Their separate nets are built first (as ungrouped), so grouping changes no
 * initial weight; the separate copies are freed once grouped.
 */
function groupGenerators(gens: Map<string, Generator>, enabled: boolean): Group[] {
  const byKey = new Map<string, Generator[]>();
  for (const g of gens.values()) {
    const config = typeof g.spec.net === 'string' ? CONFIGS[g.spec.net] : g.spec.net;
    // With one noise for every input a net's output is the same at each input, so DIPs of different
    // inputs (several images' clean layers) share a group; with a noise per input they must share inputs.
    const inputs = g.noise.size(0) === 1 ? null : [...g.inputs];
    const key = enabled ? JSON.stringify([config, g.net.inChannels, g.noise.shape, inputs, g.spec.lr ?? null]) : g.spec.name;
    byKey.set(key, [...(byKey.get(key) ?? []), g]);
  }
  return [...byKey.values()].map((members) => {
    const net = members.length === 1 ? members[0].net : groupNets(members.map((m) => m.net));
    if (members.length > 1) for (const m of members) { torch.dispose(m.net.parameters()); m.net = net; }
    const group: Group = { net, members, width: net.outChannels, lr: members[0].spec.lr };
    for (const m of members) m.group = group;
    return group;
  });
}

/** Augmentation index for this iteration: identity on the last iteration, as the reference. */
function augmentation(phase: Phase, t: number, last: boolean, rng: () => number): number {
  const mode = phase.augment ?? 'none';
  if (mode === 'none' || last || (mode === 'even' && t % 2 === 1)) return IDENTITY;
  return Math.floor(rng() * TRANSFORMS);
}

interface Evaluation {
  output(name: string, k: number): Tensor;
  recon: Map<number, Tensor>;
  target(k: number): Tensor;
  given(name: string, k: number): Tensor;
  batch: number[];
  psnr(): number;
}

/** Forward pass for a batch of inputs under transform a; layer outputs are computed lazily, once. */
function evaluate(d: Decomposition, gens: Map<string, Generator>, batch: number[], a: number, t: number, perturb: boolean): Evaluation {
  const cache = new Map<string, Tensor>();
  const pick = (x: Tensor, k: number) => transform(x.size(0) === 1 ? x : x.narrow(0, k, 1), a);
  const given = (name: string, k: number): Tensor => {
    const g = d.given?.[name];
    if (!g) throw new Error(`Unknown layer or given map "${name}"`);
    return pick(g, k);
  };
  const output = (name: string, k: number): Tensor => {
    const g = gens.get(name);
    if (!g) return given(name, k);
    if (!g.inputs.has(k)) throw new Error(`Layer "${name}" does not take part in input ${k}`);
    const key = (m: Generator) => (m.noise.size(0) === 1 ? m.spec.name : `${m.spec.name}@${k}`);
    if (!cache.has(key(g))) {
      // The whole group at once: every member's (perturbed) noise side by side, one forward pass.
      const group = g.group!;
      const zs = group.members.map((m) => {
        const z = pick(m.noise, k);
        const sigma = perturb ? valueAt(m.spec.perturb, t, 0) : 0;
        return sigma > 0 ? z.add(torch.randn(z.shape).mul(sigma)) : z;
      });
      const out = group.net.forward(zs.length === 1 ? zs[0] : torch.cat(zs, 1));
      group.members.forEach((m, j) => {
        let y = group.members.length === 1 ? out : out.narrow(1, j * group.width, m.spec.channels);
        if (m.spec.output === 'scalar') {
          const [lo, hi] = m.spec.range ?? [0.05, 0.95];
          y = y.mean([2, 3], true).mul(hi - lo).add(lo); // one value per channel (K x C x 1 x 1)
        } else if (m.spec.size) {
          // A map made at low resolution, upsampled: it cannot hold detail finer than its grid.
          const like = pick(d.inputs, k);
          y = torch.interpolate(y, [like.size(2), like.size(3)], { alignCorners: true });
        }
        cache.set(key(m), y);
      });
    }
    return cache.get(key(g))!;
  };
  const recon = new Map<number, Tensor>();
  for (const k of batch) recon.set(k, mix(d.mixtures[k], (n) => output(n, k), (n) => given(n, k)));
  const target = (k: number) => pick(d.inputs, k);
  return {
    output, recon, target, given, batch,
    psnr: () => torch.noGrad(() => {
      const m = batch.reduce((s, k) => s + mse(recon.get(k)!, target(k)).item(), 0) / batch.length;
      return -10 * Math.log10(Math.max(m, 1e-12));
    }),
  };
}

function mix(m: Mixture, layer: (n: string) => Tensor, given: (n: string) => Tensor): Tensor {
  if (m.kind === 'sum') return m.layers.map(layer).reduce((s, y) => s.add(y));
  let mask = layer(m.mask);
  if (m.maskWithin) mask = mask.mul(given(m.maskWithin));
  return mask.mul(layer(m.a)).add(mask.rsub(1).mul(layer(m.b)));
}

/** The loss of eq. 1: sum of weighted terms, each averaged over the inputs it applies to. */
function objective(d: Decomposition, terms: Term[], ev: Evaluation, t: number, read = true): { loss: Tensor; terms: Record<string, number> } {
  let loss: Tensor | null = null;
  const values: Record<string, number> = {};
  for (const term of terms) {
    const w = valueAt(term.weight, t, 1);
    if (w === 0) continue;
    const refs = referencedLayers(term);
    // A term across two inputs (exclusion `at`) counts once, when both are in the batch.
    const across = term.kind === 'exclusion' && term.at;
    const ks = across ? (across.every((k) => ev.batch.includes(k)) ? [across[0]] : [])
      : ev.batch.filter((k) => refs.every((n) => !d.layers.some((l) => l.name === n && l.inputs && !l.inputs.includes(k))));
    if (ks.length === 0) continue;
    let value: Tensor | null = null;
    for (const k of ks) {
      const v = termValue(term, ev, k);
      value = value ? value.add(v) : v;
    }
    value = value!.div(ks.length);
    if (read) values[termLabel(term)] = value.item();
    const weighted = value.mul(w);
    loss = loss ? loss.add(weighted) : weighted;
  }
  if (!loss) throw new Error('Phase has no active loss term');
  return { loss, terms: values };
}

function referencedLayers(term: Term): string[] {
  switch (term.kind) {
    case 'reconstruction': return [];
    case 'exclusion': return term.layers;
    case 'match': return typeof term.target === 'string' ? [term.layer] : [term.layer];
    case 'dark-channel': return term.by ? [term.layer, term.by] : [term.layer];
    default: return [term.layer];
  }
}

function termValue(term: Term, ev: Evaluation, k: number): Tensor {
  switch (term.kind) {
    case 'reconstruction': return (term.metric === 'mse' ? mse : l1)(ev.recon.get(k)!, ev.target(k));
    case 'hint-reconstruction': return maskedL1(ev.output(term.layer, k), ev.target(k), ev.given(term.hint, k));
    case 'exclusion': return exclusionLoss(ev.output(term.layers[0], term.at?.[0] ?? k), ev.output(term.layers[1], term.at?.[1] ?? k));
    case 'binary': return binaryMask(ev.output(term.layer, k));
    case 'smooth': return smoothness(ev.output(term.layer, k));
    case 'dark-channel': return darkChannelLoss(ev.output(term.layer, k), 15, term.by ? ev.output(term.by, k) : undefined);
    case 'match': {
      const y = ev.output(term.layer, k);
      if (typeof term.target !== 'string') return distanceTo(y, term.target, term.metric);
      if (term.within) return maskedDistance(y, ev.given(term.target, k), ev.given(term.within, k), term.metric);
      return (term.metric === 'mse' ? mse : l1)(y, ev.given(term.target, k));
    }
  }
}

/** Copies the parameters (detached) as the best so far. */
function snapshot(params: Tensor[], previous: { params: Tensor[] } | null, psnr: number) {
  return torch.noGrad(() => {
    if (previous) { previous.params.forEach((s, i) => s.copy_(params[i])); return { psnr, params: previous.params }; }
    // detach() makes a view per parameter: freed with this scope, not left to the GC.
    return { psnr, params: torch.tidy(() => params.map((p) => torch.keep(p.detach().clone()))) };
  });
}

/** Final outputs at every input: unperturbed noise, identity transform, no gradients. */
function render(d: Decomposition, gens: Map<string, Generator>): Pick<TrainResult, 'layers' | 'reconstructions' | 'psnr'> {
  const K = d.inputs.size(0);
  const layers: Record<string, Tensor[]> = Object.fromEntries([...gens.keys()].map((n) => [n, []]));
  const reconstructions: Tensor[] = [];
  let sqErr = 0;
  torch.noGrad(() => {
    for (let k = 0; k < K; k++) {
      const out = torch.tidy(() => {
        const ev = evaluate(d, gens, [k], IDENTITY, 0, false);
        const ls = [...gens.keys()].filter((n) => gens.get(n)!.inputs.has(k)).map((n) => [n, ev.output(n, k).detach()] as const);
        return { ls, recon: ev.recon.get(k)!, err: mse(ev.recon.get(k)!, ev.target(k)).item() };
      });
      for (const [n, y] of out.ls) layers[n][k] = torch.keep(y);
      reconstructions.push(torch.keep(out.recon));
      sqErr += out.err;
    }
  });
  return { layers, reconstructions, psnr: -10 * Math.log10(Math.max(sqErr / K, 1e-12)) };
}

function shuffle<T>(xs: T[], rng: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [xs[i], xs[j]] = [xs[j], xs[i]]; }
  return xs;
}
