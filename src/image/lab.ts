// Colour conversion to CIELab, where distances follow perceived colour differences (the
// frequency-tuned and minimum-barrier saliency cues measure in it).

/** sRGB in [0, 1] to CIELab (D65), interleaved 3 channels. */
export function toLab(rgb: Float32Array): Float64Array {
  const n = rgb.length / 3;
  const out = new Float64Array(n * 3);
  const lin = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  for (let i = 0; i < n; i++) {
    const r = lin(rgb[i * 3]);
    const g = lin(rgb[i * 3 + 1]);
    const b = lin(rgb[i * 3 + 2]);
    const fx = f((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047);
    const fy = f(0.2126729 * r + 0.7151522 * g + 0.072175 * b);
    const fz = f((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883);
    out[i * 3] = 116 * fy - 16;
    out[i * 3 + 1] = 500 * (fx - fy);
    out[i * 3 + 2] = 200 * (fy - fz);
  }
  return out;
}
