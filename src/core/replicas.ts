// n independent runs of one plan trained as a single run: copy k of every layer takes copy k of
// the inputs, so the copies never meet in the loss, and the trainer groups the copies' DIPs of
// one shape into one network (one larger kernel call per layer instead of n small ones; see
// trainer.ts, groupGenerators). Each copy's own terms are weighted 1/n, as the shared
// reconstruction term averages over all n copies: every copy's gradient is its own run's times
// 1/n, which Adam does not see. The copies differ only in their initial weights and noise.
import { meanSquaredError, psnrOf } from '../image/compare.js';
import type { Image } from '../image/image.js';
import { run, type Plan, type RunResult, type RunSettings } from './run.js';
import type { LayerSpec, Mixture, Schedule, Term } from './spec.js';

/** Layer `name` of copy k. */
export const copyName = (name: string, k: number) => `${name}#${k}`;

const scaled = (s: Schedule | undefined, f: number): Schedule => {
  if (s === undefined || typeof s === 'number') return (s ?? 1) * f;
  return 'steps' in s ? { steps: s.steps.map(([t, v]) => [t, v * f]) } : { linear: s.linear.map(([t, v]) => [t, v * f]) };
};

/** The plan with n copies of its layers, inputs, mixtures and per-layer terms. */
export function replicate(plan: Plan, n: number): Plan {
  if (!Number.isInteger(n) || n < 1) throw new Error(`replicate: n must be a positive integer, got ${n}`);
  if (plan.batch !== undefined) throw new Error('replicate: a plan trained in mini-batches cannot be replicated');
  if (n === 1) return plan;
  const N = plan.inputs.length, layerNames = new Set(plan.layers.map((l) => l.name));
  const rename = (name: string, k: number) => (layerNames.has(name) ? copyName(name, k) : name); // given maps are shared
  const copies = [...Array(n).keys()];
  const layers = copies.flatMap((k) => plan.layers.map((l): LayerSpec => ({
    ...l, name: copyName(l.name, k), inputs: (l.inputs ?? [...Array(N).keys()]).map((i) => i + k * N),
    noise: l.noise.shareWith ? { ...l.noise, shareWith: copyName(l.noise.shareWith, k) } : l.noise,
  })));
  const mixtures = copies.flatMap((k) => plan.mixtures.map((m): Mixture => m.kind === 'sum'
    ? { kind: 'sum', layers: m.layers.map((x) => rename(x, k)) }
    : { ...m, mask: rename(m.mask, k), a: rename(m.a, k), b: rename(m.b, k) }));
  const termCopies = (t: Term): Term[] => {
    if (t.kind === 'reconstruction') return [t]; // averages over every input, so over the copies
    return copies.map((k): Term => {
      const w = scaled(t.weight, 1 / n);
      switch (t.kind) {
        case 'exclusion': return { ...t, weight: w, layers: [rename(t.layers[0], k), rename(t.layers[1], k)], ...(t.at ? { at: [t.at[0] + k * N, t.at[1] + k * N] as [number, number] } : {}) };
        case 'dark-channel': return { ...t, weight: w, layer: rename(t.layer, k), ...(t.by ? { by: rename(t.by, k) } : {}) };
        case 'match': return { ...t, weight: w, layer: rename(t.layer, k), ...(typeof t.target === 'string' ? { target: rename(t.target, k) } : {}) };
        default: return { ...t, weight: w, layer: rename(t.layer, k) };
      }
    });
  };
  const given = plan.given && Object.fromEntries(Object.entries(plan.given).map(([name, m]) => [name, Array.isArray(m) ? copies.flatMap(() => m) : m]));
  return {
    ...plan, layers, mixtures, ...(given ? { given } : {}),
    inputs: copies.flatMap(() => plan.inputs),
    phases: plan.phases.map((p) => ({ ...p, terms: p.terms.flatMap(termCopies) })),
  };
}

/**
 * n runs of a plan as one (see above): each result as its own run would give it, its layers and
 * term values under their own names; the time is shared out evenly; the loss and the
 * reconstruction term in the history are the joint run's (the mean over the copies). Previews show copy 0.
 */
export async function runCopies(plan: Plan, n: number, s: RunSettings = {}): Promise<RunResult[]> {
  if (n === 1) return [await run(plan, s)];
  const N = plan.inputs.length;
  const onPreview = s.onPreview && ((p: Parameters<NonNullable<RunSettings['onPreview']>>[0]) => {
    if (p.input >= N) return;
    s.onPreview!({ ...p, images: Object.fromEntries(Object.entries(p.images).map(([name, img]) => [name.replace(/#0$/, ''), img])) });
  });
  const r = await run(replicate(plan, n), { ...s, onPreview });
  return [...Array(n).keys()].map((k) => {
    const reconstructions = r.reconstructions.slice(k * N, (k + 1) * N);
    const layers = Object.fromEntries(plan.layers.map((l) => [l.name, r.layers[copyName(l.name, k)].slice(k * N, (k + 1) * N)]));
    const history = r.history.map((h) => ({ ...h, terms: ownTerms(h.terms, k) }));
    return { ...r, layers, reconstructions, history, seconds: r.seconds / n, psnr: meanPsnr(reconstructions, plan.inputs) };
  });
}

/** Copy k's term values ("match(m#1)" -> "match(m)" for k = 1) and the shared ones. */
const ownTerms = (terms: Record<string, number>, k: number) => Object.fromEntries(Object.entries(terms).flatMap(([label, v]) =>
  [...label.matchAll(/#(\d+)/g)].every((m) => Number(m[1]) === k) ? [[label.replace(/#\d+/g, ''), v]] : []));

const meanPsnr = (a: Image[], b: Image[]) => psnrOf(a.reduce((s, x, i) => s + meanSquaredError(x, b[i]), 0) / a.length);
