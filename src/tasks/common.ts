// What every task shares: its options, the shape of a result, and fitting a recipe's phases to
// an iteration count. Tasks themselves are recipes (a Plan for core/run.ts) + host-side post-processing.
import type { Image } from '../image/image.js';
import { resizeLazily } from '../image/resize.js';
import type { Phase, Schedule, Term } from '../core/spec.js';
import type { RunSettings } from '../core/run.js';

export type { Report, TaskResult, FrameSource, VideoResult } from '../core/result.js';
export { DEFAULT_SEED } from '../core/run.js';
export { makeReport } from '../core/report.js';

export interface TaskOptions extends RunSettings {
  /** Long side processed, in px (outputs are always at the input's resolution). Default 256. */
  size?: number;
  /** Total iterations; the recipe's phases are scaled to sum to this. Default: the task's recipe. */
  iterations?: number;
}

export const DEFAULT_SIZE = 256;

/**
 * Scales phase lengths so they sum to `total` (each at least 1), and stretches the terms' weight
 * schedules with their phase: the recipes' schedules (hints relaxed after 500 iterations, the
 * binary ramp over 1000, ...) are written for their default lengths and would otherwise never
 * run out in a shorter run, or run out too early in a longer one.
 */
export function scalePhases(phases: Phase[], total?: number): Phase[] {
  if (total === undefined) return phases;
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`iterations must be a positive integer, got ${total}`);
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

/** A working-size output back at the input's resolution: lazy, upsampled a strip at a time when read. */
export function toOutput(img: Image, width: number, height: number): Image {
  return img.width === width && img.height === height ? img : resizeLazily(img, width, height);
}

/** Checks that every image has the size of the first. */
export function assertSameSize(images: Image[], names: string[]): void {
  const [a] = images;
  images.forEach((b, i) => {
    if (b.width !== a.width || b.height !== a.height)
      throw new Error(`Input images must have the same size: ${names[0]} is ${a.width}x${a.height} but ${names[i]} is ${b.width}x${b.height}. Resize them to one size first.`);
  });
}
