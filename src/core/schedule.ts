// Evaluates a Schedule at an iteration.
import type { Schedule } from './spec.js';

export function valueAt(s: Schedule | undefined, t: number, fallback = 1): number {
  if (s === undefined) return fallback;
  if (typeof s === 'number') return s;
  if ('steps' in s) {
    let v = s.steps[0]?.[1] ?? fallback;
    for (const [at, value] of s.steps) if (t >= at) v = value;
    return v;
  }
  const pts = s.linear;
  if (t <= pts[0][0]) return pts[0][1];
  for (let i = 1; i < pts.length; i++) {
    const [t0, v0] = pts[i - 1], [t1, v1] = pts[i];
    if (t <= t1) return v0 + ((v1 - v0) * (t - t0)) / Math.max(t1 - t0, 1e-9);
  }
  return pts[pts.length - 1][1];
}

/** The reference's perturbation ramp: 0.001 * floor(t / 100) for t < 1000, then 0.001... as written there. */
export const referencePerturbation: Schedule = { steps: Array.from({ length: 10 }, (_, i) => [i * 100, 0.001 * i] as [number, number]).concat([[1000, 0.001]]) };
