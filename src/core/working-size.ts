// The working size: the size the DIPs see. Each net halves the image once per level, so both sides
// must be multiples of 2^levels, and its deepest level must keep more pixels than its widest
// kernel reaches past the edge (reflection padding).
import { CONFIGS, type ConfigName, type SkipConfig } from '../nn/skip.js';

export type Net = ConfigName | SkipConfig;

const config = (n: Net): SkipConfig => (typeof n === 'string' ? CONFIGS[n] : n);

/** Sides must be multiples of this: 2^levels of the deepest net. */
export function sizeMultiple(nets: Net[]): number {
  return Math.max(...nets.map((n) => 2 ** config(n).channels.length));
}

/** The smallest side the nets can take: at least 2 pixels, and more than the kernel's half, at the deepest level. */
export function netMinSide(nets: Net[]): number {
  return Math.max(...nets.map((n) => { const c = config(n); return 2 ** c.channels.length * Math.max(2, Math.floor(c.kernel / 2) + 1); }));
}

/**
 * The working size of a width x height image: long side near `size`, both sides multiples of the
 * nets' multiple and at least `minSide` (the recipe's choice, never below what the nets take).
 */
export function workingSize(width: number, height: number, size: number, nets: Net[], minSide = 0): { width: number; height: number } {
  const multiple = sizeMultiple(nets), least = Math.max(minSide, netMinSide(nets));
  if (!Number.isFinite(size) || size < least) throw new RangeError(`The working size ${size} is too small for these networks: use at least ${least}`);
  const scale = size / Math.max(width, height);
  const round = (v: number) => Math.max(Math.ceil(least / multiple) * multiple, Math.round((v * scale) / multiple) * multiple);
  return { width: round(width), height: round(height) };
}
