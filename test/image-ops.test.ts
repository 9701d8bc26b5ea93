// Pure image operations: resize, guided filter, dark channel / airlight, saliency.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateAirlight, darkChannel } from '../src/image/dark-channel.js';
import { minCut } from '../src/image/graph-cut.js';
import { grabCut, grabCutHints } from '../src/image/grabcut.js';
import { guidedFilter } from '../src/image/guided-filter.js';
import { layersAtSize } from '../src/image/layer-upsample.js';
import { withInputDetail } from '../src/image/input-detail.js';
import { rowsOf, strip } from '../src/image/lazy-image.js';
import { psnr } from '../src/image/compare.js';
import { createImage, crop, paste, type Image } from '../src/image/image.js';
import { dilate, erode, open } from '../src/image/morphology.js';
import { fitLongSide, resizeImage, toGrey, toRgb } from '../src/image/resize.js';
import { minimumBarrier, saliencyHints, saliencyMap } from '../src/image/saliency.js';
import { fft1d } from '../src/image/fft.js';
import { histogramEqualise } from '../src/image/equalise.js';
import { CUT_GAMMA, cutMask, leanOnHints, threshold } from '../src/image/mask.js';
import { SEGMENT_RECIPE, workingHints } from '../src/tasks/segment.js';
import { focusMap, focusRatio } from '../src/image/focus.js';
import { image, rng } from './support/images.js';


const px = (img: Image, x: number, y: number, c = 0) => img.data[(y * img.width + x) * img.channels + c];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('resize', () => {
  test('fitLongSide keeps the aspect ratio and never enlarges', () => {
    assert.deepEqual(fitLongSide(1000, 600, 500), { width: 500, height: 300 });
    assert.deepEqual(fitLongSide(600, 1000, 500), { width: 300, height: 500 });
    assert.deepEqual(fitLongSide(300, 200, 500), { width: 300, height: 200 });
    assert.deepEqual(fitLongSide(1001, 3, 100), { width: 100, height: 1 });
    assert.throws(() => fitLongSide(0, 10, 10), /Pass positive width, height and longSide/);
  });

  test('bilinear enlargement interpolates between pixel centres', () => {
    const img = image(2, 1, 1, (x) => x);
    const up = resizeImage(img, 4, 1);
    assertClose(up.data, [0, 0.25, 0.75, 1], 1e-6);
  });

  test('halving averages pixel pairs; shrinking more than 2x averages areas', () => {
    const r = rng(1);
    const img = image(12, 8, 3, () => r());
    const half = resizeImage(img, 6, 4);
    const quarter = resizeImage(img, 3, 2);
    for (const [out, f] of [[half, 2], [quarter, 4]] as const) {
      for (let y = 0; y < out.height; y++) {
        for (let x = 0; x < out.width; x++) {
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += px(img, x * f + dx, y * f + dy, c);
            assert.ok(Math.abs(px(out, x, y, c) - s / (f * f)) < 1e-5, `factor ${f} at ${x},${y},${c}`);
          }
        }
      }
    }
  });

  test('constants stay constant at any size; sizes and channels are as asked', () => {
    const img = createImage(37, 23, 3, 0.3);
    for (const [w, h] of [[100, 7], [5, 60], [3, 2], [37, 23]]) {
      const out = resizeImage(img, w, h);
      assert.deepEqual([out.width, out.height, out.channels], [w, h, 3]);
      for (const v of out.data) assert.ok(Math.abs(v - 0.3) < 1e-6);
    }
    assert.throws(() => resizeImage(img, 0, 5), /Pass positive integer width and height/);
  });

  test('toGrey uses BT.601 weights; toRgb replicates', () => {
    const img = image(2, 1, 3, (x, _y, c) => (x === 0 ? [1, 0, 0][c] : [0, 0.5, 1][c]));
    assertClose(toGrey(img).data, [0.299, 0.587 * 0.5 + 0.114], 1e-6);
    const rgb = toRgb(image(2, 1, 1, (x) => x * 0.5));
    assertClose(rgb.data, [0, 0, 0, 0.5, 0.5, 0.5], 0);
    assert.throws(() => toGrey(createImage(2, 2, 4)), /4 channels\. Pass a 1-channel/);
  });
});

/** Guided filter straight from the paper's equations, O(N r^2), with a generic 3x3 solve. */
function bruteGuided(I: Image, p: Image, r: number, eps: number): Float64Array {
  const { width: w, height: h, channels: c } = I;
  const n = w * h;
  const window = (x: number, y: number) => {
    const out: number[] = [];
    for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
      for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) out.push(yy * w + xx);
    }
    return out;
  };
  const a: number[][] = [];
  const b: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const idx = window(x, y);
      const mu = Array.from({ length: c }, (_, k) => idx.reduce((s, i) => s + I.data[i * c + k], 0) / idx.length);
      const pm = idx.reduce((s, i) => s + p.data[i], 0) / idx.length;
      // Solve (Sigma + eps U) a = cov(I, p) by Gaussian elimination.
      const M = Array.from({ length: c }, (_, j) => {
        const row = Array.from({ length: c }, (_, k) => idx.reduce((s, i) => s + I.data[i * c + j] * I.data[i * c + k], 0) / idx.length - mu[j] * mu[k] + (j === k ? eps : 0));
        row.push(idx.reduce((s, i) => s + I.data[i * c + j] * p.data[i], 0) / idx.length - mu[j] * pm);
        return row;
      });
      for (let col = 0; col < c; col++) {
        for (let row = col + 1; row < c; row++) {
          const f = M[row][col] / M[col][col];
          for (let k = col; k <= c; k++) M[row][k] -= f * M[col][k];
        }
      }
      const sol = new Array<number>(c).fill(0);
      for (let row = c - 1; row >= 0; row--) {
        let s = M[row][c];
        for (let k = row + 1; k < c; k++) s -= M[row][k] * sol[k];
        sol[row] = s / M[row][row];
      }
      a.push(sol);
      b.push(pm - sol.reduce((s, v, k) => s + v * mu[k], 0));
    }
  }
  const q = new Float64Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const idx = window(x, y);
      let v = idx.reduce((s, i) => s + b[i], 0) / idx.length;
      for (let k = 0; k < c; k++) v += (idx.reduce((s, i) => s + a[i][k], 0) / idx.length) * I.data[(y * w + x) * c + k];
      q[y * w + x] = v;
    }
  }
  return q;
}

describe('guided filter', () => {
  test('matches a brute-force reference (grey and colour guides)', () => {
    const r = rng(2);
    const p = image(11, 9, 1, () => r());
    for (const c of [1, 3]) {
      const I = image(11, 9, c, () => r());
      for (const [radius, eps] of [[1, 1e-3], [2, 0.01], [6, 0.1]]) {
        const got = guidedFilter(I, p, radius, eps);
        assert.equal(got.channels, 1);
        assertClose(got.data, bruteGuided(I, p, radius, eps), 1e-4, `c=${c} r=${radius}`);
      }
    }
  });

  test('a constant input stays constant', () => {
    const r = rng(3);
    for (const c of [1, 3]) {
      const out = guidedFilter(image(30, 20, c, () => r()), createImage(30, 20, 1, 0.42), 4, 1e-3);
      for (const v of out.data) assert.ok(Math.abs(v - 0.42) < 1e-5);
    }
  });

  test('edge-preserving: a step edge stays sharp while noise is smoothed', () => {
    const r = rng(4);
    const noisy = image(40, 40, 1, (x) => (x < 20 ? 0.2 : 0.8) + (r() - 0.5) * 0.1);
    for (const guide of [noisy, toRgb(noisy)]) {
      const out = guidedFilter(guide, noisy, 4, 0.01);
      // Noise in a flat region: standard deviation down by more than 3x.
      const std = (img: Image) => {
        const v: number[] = [];
        for (let y = 10; y < 30; y++) for (let x = 3; x < 12; x++) v.push(px(img, x, y));
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      };
      assert.ok(std(out) < std(noisy) / 3, `noise ${std(noisy)} -> ${std(out)}`);
      // Two pixels from the edge: a 9x9 box blur would give 0.4 and 0.6; the guided filter keeps the step.
      for (let y = 10; y < 30; y++) {
        assert.ok(px(out, 18, y) < 0.3, `left of edge at y=${y}: ${px(out, 18, y)}`);
        assert.ok(px(out, 21, y) > 0.7, `right of edge at y=${y}: ${px(out, 21, y)}`);
      }
    }
  });

  test('filters each channel of a multi-channel input', () => {
    const r = rng(5);
    const I = image(16, 12, 3, () => r());
    const p = image(16, 12, 2, () => r());
    const both = guidedFilter(I, p, 2, 0.01);
    for (let c = 0; c < 2; c++) {
      const one = guidedFilter(I, image(16, 12, 1, (x, y) => px(p, x, y, c)), 2, 0.01);
      for (let i = 0; i < 16 * 12; i++) assert.ok(Math.abs(both.data[i * 2 + c] - one.data[i]) < 1e-6);
    }
  });

  test('bad arguments', () => {
    const a = createImage(10, 10, 3);
    assert.throws(() => guidedFilter(a, createImage(10, 9, 1), 2, 0.01), /guide is 10x10 but input is 10x9\. Resize them to the same size/);
    assert.throws(() => guidedFilter(a, createImage(10, 10, 1), -1, 0.01), /radius must be a non-negative integer/);
    assert.throws(() => guidedFilter(a, createImage(10, 10, 1), 2, 0), /eps must be positive/);
    assert.throws(() => guidedFilter(createImage(10, 10, 2), createImage(10, 10, 1), 2, 0.01), /Pass a 1-channel or 3-channel guide/);
  });
});

describe('layers at the input size (one-image separation)', () => {
  // Two layers of sharp squares, one image of their blend; the layers known at a quarter of the size.
  const a = image(96, 64, 3, (x, y, c) => (x % 32 < 16 && y % 32 < 16 ? 0.9 : 0.2) + 0.03 * c);
  const b = image(96, 64, 3, (x, y, c) => ((x + 8) % 24 < 8 ? 0.7 : 0.3) - 0.02 * c);
  const m = 0.4, I: Image = { ...a, data: a.data.map((v, i) => m * v + (1 - m) * b.data[i]) };
  const small = (img: Image) => resizeImage(img, 24, 16);
  test('the layers mix back to the input exactly; detail of the input comes back in the layer that holds it', () => {
    const [A, B] = layersAtSize(I, small(I), [small(a), small(b)], [m, 1 - m], 4, 1e-4);
    const mixed: Image = { ...A, data: A.data.map((v, i) => m * v + (1 - m) * B.data[i]) };
    assert.ok(psnr(mixed, I) > 60, `mix ${psnr(mixed, I).toFixed(1)} dB`);
    // A flat second layer: all of the input's edges are the first layer's.
    const flat = image(96, 64, 3, () => 0.5), J: Image = { ...a, data: a.data.map((v, i) => m * v + (1 - m) * flat.data[i]) };
    const [A2, B2] = layersAtSize(J, small(J), [small(a), small(flat)], [m, 1 - m], 4, 1e-4);
    const plain = resizeImage(small(a), 96, 64);
    assert.ok(psnr(A2, a) > psnr(plain, a) + 6, `layer 1 ${psnr(A2, a).toFixed(2)} vs resize ${psnr(plain, a).toFixed(2)} dB`);
    assert.ok(psnr(B2, flat) > 30, `flat layer ${psnr(B2, flat).toFixed(2)} dB`);
  });
  test('made a strip of rows at a time, the same as made whole', () => {
    const whole = layersAtSize(I, small(I), [small(a), small(b)], [m, 1 - m], 1, 1e-4).map((l) => Array.from(l.data));
    const saved = strip.values;
    strip.values = 96 * 3 * 2; // 2 rows a strip
    try {
      const banded = layersAtSize(I, small(I), [small(a), small(b)], [m, 1 - m], 1, 1e-4);
      // Read as a writer does, a strip at a time, layer 1 then layer 2.
      banded.forEach((l, k) => {
        const rows: number[] = [];
        for (let y = 0; y < 64; y += 3) rows.push(...l.rows(y, Math.min(64, y + 3)));
        rows.forEach((v, i) => assert.ok(Math.abs(v - whole[k][i]) < 1e-5, `layer ${k + 1} value ${i}: ${v} vs ${whole[k][i]}`));
      });
    } finally { strip.values = saved; }
  });
  test('a sum of layers (weights 1, 1) shares the rest equally; values stay in [0, 1]', () => {
    const half = (img: Image): Image => ({ ...img, data: img.data.map((v) => v / 2) });
    const S: Image = { ...a, data: a.data.map((v, i) => (v + b.data[i]) / 2) };
    const [A, B] = layersAtSize(S, small(S), [small(half(a)), small(half(b))], [1, 1], 4, 1e-4);
    const sum: Image = { ...A, data: A.data.map((v, i) => v + B.data[i]) };
    assert.ok(psnr(sum, S) > 60, `sum ${psnr(sum, S).toFixed(1)} dB`);
    assert.ok([...A.data, ...B.data].every((v) => v >= 0 && v <= 1));
    assert.throws(() => layersAtSize(toGrey(S), small(S), [small(a), small(b)], [1, 1], 4, 1e-4), /RGB/);
  });
});

describe('clean layers given the input\'s detail around a mark (several-image watermark)', () => {
  // A sharp clean image T, a 3 px stroke of mark over it, and T as a DIP gives it: made at a quarter
  // of the size and upsampled.
  const T = image(64, 48, 3, (x, y, c) => 0.5 + 0.3 * Math.sin(x / 2.5 + c) * Math.cos(y / 3.5));
  const marked = image(64, 48, 1, (x, y) => (x >= 30 && x < 33 && y > 8 && y < 40 ? 1 : 0));
  const I = image(64, 48, 3, (x, y, c) => (px(marked, x, y) ? 0.5 * px(T, x, y, c) + 0.45 : px(T, x, y, c)));
  const C = resizeImage(resizeImage(T, 16, 12), 64, 48);
  const inStroke = (img: Image) => { const out: number[] = []; for (let y = 9; y < 40; y++) for (let x = 30; x < 33; x++) for (let c = 0; c < 3; c++) out.push(px(img, x, y, c)); return out; };
  const err = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);
  test('the input where unmarked; under the mark nearer the clean image than the layer was; a constant offset comes back exactly', () => {
    const D = withInputDetail(I, C, marked, 2);
    for (let i = 0; i < 64 * 48; i++) if (!marked.data[i]) for (let c = 0; c < 3; c++) assert.equal(D.data[i * 3 + c], I.data[i * 3 + c]);
    const before = err(inStroke(C), inStroke(T)), after = err(inStroke(D), inStroke(T));
    assert.ok(after < 0.8 * before, `RMS error under the mark ${before.toFixed(4)} -> ${after.toFixed(4)}`);
    // The layer short of the clean image by a constant: the marked pixels get the constant back.
    const flat = image(64, 48, 3, () => 0.3), dark = image(64, 48, 3, () => 0.2);
    const F = withInputDetail(image(64, 48, 3, (x, y) => (px(marked, x, y) ? 0.9 : 0.3)), dark, marked, 2);
    assertClose(inStroke(F), inStroke(flat), 1e-6, 'offset');
  });
  test('made a strip of rows at a time, the same as made whole', () => {
    const whole = Array.from(withInputDetail(I, C, marked, 1.5).data);
    const saved = strip.values;
    strip.values = 64 * 3 * 2; // 2 rows a strip
    try {
      const banded = withInputDetail(I, C, marked, 1.5), rows: number[] = [];
      for (let y = 0; y < 48; y += 5) rows.push(...rowsOf(banded, y, Math.min(48, y + 5)));
      assertClose(rows, whole, 1e-6, 'banded');
    } finally { strip.values = saved; }
  });
});

describe('morphology', () => {
  const mask = (w: number, h: number, on: [number, number][]) => {
    const m = createImage(w, h, 1);
    for (const [x, y] of on) m.data[y * w + x] = 1;
    return m;
  };
  const ones = (m: Image) => [...m.data].flatMap((v, i) => (v > 0.5 ? [i] : []));
  test('erode and dilate match brute force for odd and even squares', () => {
    const r = rng(5), w = 13, h = 9;
    const m = createImage(w, h, 1);
    for (let i = 0; i < m.data.length; i++) m.data[i] = r() < 0.6 ? 1 : 0;
    for (const k of [1, 2, 3, 4]) {
      const lo = Math.floor((k - 1) / 2), hi = k - 1 - lo, e = erode(m, k), d = dilate(m, k);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        let all = true, any = false;
        for (let dy = -lo; dy <= hi; dy++) for (let dx = -lo; dx <= hi; dx++) {
          const xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h && m.data[yy * w + xx] < 0.5) all = false;
          const xm = x - dx, ym = y - dy;
          if (xm >= 0 && ym >= 0 && xm < w && ym < h && m.data[ym * w + xm] > 0.5) any = true;
        }
        assert.equal(e.data[y * w + x], all ? 1 : 0, `erode k ${k} at ${x},${y}`);
        assert.equal(d.data[y * w + x], any ? 1 : 0, `dilate k ${k} at ${x},${y}`);
      }
    }
  });
  test('opening keeps what a k x k square fits in and drops thinner lines', () => {
    // A 3 x 2 block, a 1 px line, and one pixel touching the block diagonally.
    const m = mask(10, 6, [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [3, 2], [0, 4], [1, 4], [2, 4], [3, 4], [4, 4], [4, 3]]);
    assert.deepEqual(ones(open(m, 2)), ones(mask(10, 6, [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [3, 2]])));
    assert.deepEqual(ones(open(m, 1)), ones(m), 'a 1 x 1 square fits everywhere');
    assert.deepEqual(ones(open(m, 3)), [], 'no 3 x 3 square fits');
    const opened = open(m, 2);
    assert.deepEqual(ones(open(opened, 2)), ones(opened), 'idempotent');
    assert.throws(() => erode(createImage(2, 2, 3), 2), /1-channel masks, got 3 channels/);
  });
});

describe('dark channel', () => {
  test('equals a brute-force min filter (odd, even and unit patches)', () => {
    const r = rng(7);
    for (const c of [1, 3]) {
      const img = image(23, 17, c, () => r());
      for (const patch of [1, 4, 5, 15, 40]) {
        const left = Math.floor((patch - 1) / 2);
        const right = patch - 1 - left;
        const expected: number[] = [];
        for (let y = 0; y < 17; y++) {
          for (let x = 0; x < 23; x++) {
            let m = Infinity;
            for (let yy = Math.max(0, y - left); yy <= Math.min(16, y + right); yy++) {
              for (let xx = Math.max(0, x - left); xx <= Math.min(22, x + right); xx++) {
                for (let k = 0; k < c; k++) m = Math.min(m, px(img, xx, yy, k));
              }
            }
            expected.push(m);
          }
        }
        const got = darkChannel(img, patch);
        assert.equal(got.channels, 1);
        assertClose(got.data, expected, 0, `c=${c} patch=${patch}`);
      }
    }
    assert.throws(() => darkChannel(createImage(4, 4, 3), 0), /Pass e\.g\. 15/);
  });

  test('airlight is the haze colour, not the brightest object', () => {
    // Hazy image I = J t + A (1 - t): haze thickens towards the top; a small white object
    // (smaller than the patch) sits in the clear part, where naive "brightest pixel" would look.
    const w = 120;
    const h = 90;
    const A = [0.7, 0.78, 0.86];
    const r = rng(8);
    const img = image(w, h, 3, (x, y, c) => {
      const t = Math.max(0, (y - 10) / (h - 11)); // the top rows are all haze
      const white = x >= 60 && x < 65 && y >= 80 && y < 85;
      const J = white ? 1 : 0.05 + 0.4 * r();
      return J * t + A[c] * (1 - t);
    });
    const dark = darkChannel(img, 15);
    for (const mode of ['mean', 'brightest', 'channelMax'] as const) {
      const est = estimateAirlight(img, dark, 0.001, mode);
      assertClose(est, A, 0.03, mode);
    }
    assert.throws(() => estimateAirlight(img, createImage(10, 10, 1)), /Pass the 1-channel darkChannel\(\) of the same image/);
  });
});

describe('saliency', () => {
  test('radix-2 FFT matches a direct DFT and inverts', () => {
    const r = rng(9);
    const n = 16;
    const re = Float64Array.from({ length: n }, () => r());
    const im = Float64Array.from({ length: n }, () => r());
    const [re0, im0] = [re.slice(), im.slice()];
    fft1d(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const a = (-2 * Math.PI * k * t) / n;
        sr += re0[t] * Math.cos(a) - im0[t] * Math.sin(a);
        si += re0[t] * Math.sin(a) + im0[t] * Math.cos(a);
      }
      assert.ok(Math.abs(re[k] - sr) < 1e-9 && Math.abs(im[k] - si) < 1e-9, `bin ${k}`);
    }
    fft1d(re, im, true);
    assertClose(Array.from(re, (v) => v / n), re0, 1e-12);
    assertClose(Array.from(im, (v) => v / n), im0, 1e-12);
  });

  test('histogram equalisation spreads levels over [0, 1], keeping order', () => {
    // A ramp concentrated in [0.4, 0.6] comes out covering [0, 1] nearly uniformly.
    const img = image(256, 4, 1, (x) => 0.4 + (0.2 * x) / 255);
    const eq = histogramEqualise(img);
    assert.equal(px(eq, 0, 0), 0);
    assert.equal(px(eq, 255, 0), 1);
    for (let x = 1; x < 256; x++) assert.ok(px(eq, x, 0) >= px(eq, x - 1, 0));
    assert.ok(Math.abs(px(eq, 128, 0) - 0.5) < 0.05);
    assert.throws(() => histogramEqualise(createImage(4, 4, 3)), /Pass a 1-channel image/);
  });

  test('hints keep only the extremes of the equalised map', () => {
    const ramp = image(100, 100, 1, (x, y) => (y * 100 + x) / 9999);
    const { fg, bg } = saliencyHints(ramp);
    const count = (m: Image) => m.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(count(fg) / 1e4 - 15 / 255) < 0.01, `fg fraction ${count(fg) / 1e4}`);
    assert.ok(Math.abs(count(bg) / 1e4 - 16 / 255) < 0.01, `bg fraction ${count(bg) / 1e4}`);
    assert.equal(px(fg, 99, 99), 1);
    assert.equal(px(bg, 0, 0), 1);
    for (let i = 0; i < 1e4; i++) assert.ok(fg.data[i] + bg.data[i] <= 1);
    assert.throws(() => saliencyHints(ramp, { fgAbove: 0.1, bgAtOrBelow: 0.2 }), /must be below fgAbove/);
  });

  test('on a central object over a plain background, fg lands on the object and bg on the background', () => {
    const w = 96;
    const h = 72;
    const r = rng(10);
    const inObject = (x: number, y: number) => ((x - 50) / 16) ** 2 + ((y - 34) / 13) ** 2 <= 1;
    const img = image(w, h, 3, (x, y, c) => (inObject(x, y) ? [0.85, 0.2, 0.15][c] : [0.45, 0.5, 0.55][c]) + (r() - 0.5) * 0.04);
    const sal = saliencyMap(img);
    assert.deepEqual([sal.width, sal.height, sal.channels], [w, h, 1]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of sal.data) [min, max] = [Math.min(min, v), Math.max(max, v)];
    assert.ok(min === 0 && max === 1, `range ${min}..${max}`);

    const { fg, bg } = saliencyHints(sal);
    let fgIn = 0;
    let fgAll = 0;
    let bgIn = 0;
    let bgAll = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        fgAll += px(fg, x, y);
        bgAll += px(bg, x, y);
        if (inObject(x, y)) {
          fgIn += px(fg, x, y);
          bgIn += px(bg, x, y);
        }
      }
    }
    assert.ok(fgAll > 50, `only ${fgAll} foreground hint pixels`);
    assert.equal(fgIn, fgAll, 'every foreground hint pixel is on the object');
    assert.ok(bgAll > 50, `only ${bgAll} background hint pixels`);
    assert.equal(bgIn, 0, 'no background hint pixel is on the object');
  });

  test('an off-centre object still outscores the background', () => {
    const w = 80;
    const h = 60;
    const inObject = (x: number, y: number) => x >= 8 && x < 24 && y >= 40 && y < 54;
    const img = image(w, h, 3, (x, y, c) => (inObject(x, y) ? [0.1, 0.3, 0.9][c] : [0.8, 0.75, 0.6][c]));
    const sal = saliencyMap(img);
    let sIn = 0;
    let nIn = 0;
    let sOut = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (inObject(x, y)) {
          sIn += px(sal, x, y);
          nIn++;
        } else sOut += px(sal, x, y);
      }
    }
    assert.ok(sIn / nIn > 2 * (sOut / (w * h - nIn)), `object ${sIn / nIn} vs background ${sOut / (w * h - nIn)}`);
  });
});

describe('minimum barrier distance', () => {
  test('a region cut off from the border by a colour barrier scores high; the same colour touching the border scores 0', () => {
    // A bright "sky" band along the top edge and a bright square in the middle, same colour,
    // over a dark, slightly noisy background.
    const w = 120, h = 90, r = rng(3);
    const sky = (_x: number, y: number) => y < 15, square = (x: number, y: number) => x >= 45 && x < 75 && y >= 40 && y < 70;
    const img = image(w, h, 3, (x, y, c) => (sky(x, y) || square(x, y) ? 0.95 : [0.2, 0.3, 0.25][c]) + (r() - 0.5) * 0.02);
    const mbd = minimumBarrier(img);
    assert.deepEqual([mbd.width, mbd.height], [96, 72], 'computed on a 96 px downscale');
    const at = (x: number, y: number) => px(mbd, Math.round((x * 96) / w), Math.round((y * 72) / h));
    assert.ok(at(60, 55) > 0.8, `inside the square ${at(60, 55)}`);
    assert.ok(at(60, 7) < 0.1, `in the sky ${at(60, 7)}`);
    assert.ok(at(20, 55) < 0.1, `background ${at(20, 55)}`);
    // In the combined map the border cue halves the sky's score relative to the square.
    const sal = saliencyMap(img), plain = saliencyMap(img, { borderCue: false });
    const ratio = (m: Image) => px(m, 60, 55) / px(m, 60, 7);
    assert.ok(ratio(sal) > 1.5 * ratio(plain), `square/sky ${ratio(sal)} with the border cue, ${ratio(plain)} without`);
  });
});

describe('minimum cut', () => {
  type Pair = (i: number, j: number) => number;
  /** The energy minCut minimises: data costs plus the pair cost of every differing 8-neighbour pair. */
  function energy(w: number, h: number, label: (i: number) => number, fgCost: Float32Array, bgCost: Float32Array, pair: Pair): number {
    let e = 0;
    for (let i = 0; i < w * h; i++) e += label(i) ? fgCost[i] : bgCost[i];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, diff = (j: number, s: number) => { if (label(i) !== label(j)) e += pair(i, j) * s; };
      if (x + 1 < w) diff(i + 1, 1);
      if (y + 1 < h) diff(i + w, 1);
      if (x + 1 < w && y + 1 < h) diff(i + w + 1, Math.SQRT1_2);
      if (x > 0 && y + 1 < h) diff(i + w - 1, Math.SQRT1_2);
    }
    return e;
  }
  /** The least energy over all 2^(w h) labellings. */
  function leastEnergy(w: number, h: number, fgCost: Float32Array, bgCost: Float32Array, pair: Pair): number {
    let best = Infinity;
    for (let l = 0; l < 1 << (w * h); l++) best = Math.min(best, energy(w, h, (i) => (l >> i) & 1, fgCost, bgCost, pair));
    return best;
  }

  test('reaches the least energy found by enumerating every labelling (random 4x3 grids)', () => {
    const r = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const w = 4, h = 3, n = w * h;
      const fgCost = Float32Array.from({ length: n }, () => 3 * r()), bgCost = Float32Array.from({ length: n }, () => 3 * r());
      const weights = new Map<string, number>();
      const pair = (i: number, j: number) => { const k = `${i},${j}`; if (!weights.has(k)) weights.set(k, 2 * r()); return weights.get(k)!; };
      const want = leastEnergy(w, h, fgCost, bgCost, pair);
      const label = minCut({ width: w, height: h, fgCost, bgCost, pair });
      const got = energy(w, h, (i) => label[i], fgCost, bgCost, pair);
      assert.ok(Math.abs(got - want) < 1e-4, `trial ${trial}: ${got} vs ${want}`);
    }
  });

  test('an infinite cost is never paid; strong edges make one region', () => {
    const w = 30, h = 20, n = w * h;
    const fgCost = new Float32Array(n), bgCost = new Float32Array(n);
    fgCost[0] = Infinity; // top-left must be bg
    bgCost[n - 1] = Infinity; // bottom-right must be fg
    for (let i = 1; i < n - 1; i++) { fgCost[i] = 0.5; bgCost[i] = 0.4; } // weakly bg everywhere
    const label = minCut({ width: w, height: h, fgCost, bgCost, pair: () => 1 });
    assert.equal(label[0], 0);
    assert.equal(label[n - 1], 1);
    const fg = label.reduce((s, v) => s + v, 0);
    assert.ok(fg < 20, `a small fg region around the forced pixel, got ${fg}`);
  });
});

describe('GrabCut hints', () => {
  // A red disc on a noisy blue-green background; a box around it whose centre holds the only fg hints.
  function scene() {
    const w = 48, h = 40, r = rng(7), img = createImage(w, h, 3), truth = createImage(w, h, 1);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, inDisc = (x - 24) ** 2 + (y - 20) ** 2 < 11 ** 2;
      truth.data[i] = inDisc ? 1 : 0;
      const c = inDisc ? [0.85, 0.15, 0.1] : [0.1, 0.45 + 0.2 * r(), 0.7];
      for (let k = 0; k < 3; k++) img.data[i * 3 + k] = Math.min(1, Math.max(0, c[k] + 0.05 * (r() - 0.5)));
    }
    const fg = createImage(w, h, 1), bg = createImage(w, h, 1);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const inBox = x >= 10 && x < 38 && y >= 6 && y < 34, core = x >= 19 && x < 29 && y >= 15 && y < 25;
      if (!inBox) bg.data[y * w + x] = 1; else if (core) fg.data[y * w + x] = 1;
    }
    return { img, truth, fg, bg };
  }

  test('GrabCut from a box labels the disc exactly', () => {
    const { img, truth, fg, bg } = scene();
    const label = grabCut(img, fg, bg);
    let wrong = 0;
    for (let i = 0; i < truth.data.length; i++) wrong += label.data[i] !== truth.data[i] ? 1 : 0;
    assert.ok(wrong <= 4, `${wrong} pixels mislabelled`);
  });

  test("starting from the hints, a colour found only in the unknown region is not taken for the object (GrabCut's box start takes it)", () => {
    // A red disc with a fg hint at its centre, a brown patch elsewhere, bg hints only on a thin frame.
    const w = 48, h = 40, r = rng(3), img = createImage(w, h, 3), fg = createImage(w, h, 1), bg = createImage(w, h, 1);
    const inDisc = (x: number, y: number) => (x - 30) ** 2 + (y - 20) ** 2 < 64, inPatch = (x: number, y: number) => x >= 4 && x < 16 && y >= 10 && y < 30;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, c = inDisc(x, y) ? [0.85, 0.15, 0.1] : inPatch(x, y) ? [0.55, 0.35, 0.2] : [0.1, 0.5, 0.7];
      for (let k = 0; k < 3; k++) img.data[i * 3 + k] = c[k] + 0.04 * (r() - 0.5);
      if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) bg.data[i] = 1;
      if ((x - 30) ** 2 + (y - 20) ** 2 < 9) fg.data[i] = 1;
    }
    const count = (label: Image, inside: (x: number, y: number) => boolean) => {
      let n = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (inside(x, y)) n += label.data[y * w + x];
      return n;
    };
    const fromHints = grabCut(img, fg, bg, { start: 'hints' }), fromBox = grabCut(img, fg, bg, { start: 'box' });
    assert.equal(count(fromHints, inPatch), 0, 'patch is background');
    assert.equal(count(fromBox, inPatch), 240, 'the box start takes the patch: its colour is only in the fg model');
    for (const label of [fromHints, fromBox]) assert.ok(count(label, inDisc) >= 190, `disc is foreground (${count(label, inDisc)} of 197)`);
  });

  test('a saliency prior seeds both colour models: a background colour that a stray fg hint touched is not taken for the object', () => {
    // A red disc (fg hint at its centre) and an orange patch that saliency wrongly hinted in one
    // 2x2 speck; bg hints only on a thin frame of blue. The prior says the disc is likely, the rest not.
    const w = 48, h = 40, r = rng(5), img = createImage(w, h, 3), fg = createImage(w, h, 1), bg = createImage(w, h, 1), prior = createImage(w, h, 1);
    const inDisc = (x: number, y: number) => (x - 30) ** 2 + (y - 20) ** 2 < 64, inPatch = (x: number, y: number) => x >= 4 && x < 16 && y >= 10 && y < 30;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, c = inDisc(x, y) ? [0.85, 0.15, 0.1] : inPatch(x, y) ? [0.9, 0.55, 0.15] : [0.1, 0.5, 0.7];
      for (let k = 0; k < 3; k++) img.data[i * 3 + k] = c[k] + 0.04 * (r() - 0.5);
      if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) bg.data[i] = 1;
      if ((x - 30) ** 2 + (y - 20) ** 2 < 9 || (x >= 9 && x < 11 && y >= 19 && y < 21)) fg.data[i] = 1;
      prior.data[i] = inDisc(x, y) ? 0.9 : inPatch(x, y) ? 0.1 : 0.2;
    }
    const count = (label: Image, inside: (x: number, y: number) => boolean) => {
      let n = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (inside(x, y)) n += label.data[y * w + x];
      return n;
    };
    const hintsOnly = grabCut(img, fg, bg, { start: 'hints' }), withPrior = grabCut(img, fg, bg, { start: 'hints', prior });
    assert.ok(count(hintsOnly, inPatch) > 200, `from the hints alone the speck takes the patch (${count(hintsOnly, inPatch)} of 240)`);
    assert.equal(count(withPrior, inPatch), 0, 'with the prior the patch is background');
    assert.ok(count(withPrior, inDisc) >= 190, `disc is foreground (${count(withPrior, inDisc)} of 197)`);
    // The prior only seeds the models: the box start ignores it.
    assert.deepEqual(grabCut(img, fg, bg, { start: 'box', prior }).data, grabCut(img, fg, bg, { start: 'box' }).data);
    assert.throws(() => grabCut(img, fg, bg, { start: 'hints', prior: createImage(4, 4, 1) }), /prior is 4x4x1 but the image is 48x40/);
    // Automatic hints carry their saliency map, which segment's hint growing equalises into this prior when asked.
    const auto = workingHints(img, { fg, bg, source: 'saliency', saliency: prior }, { width: w, height: h }, true, true);
    assert.equal(count(auto.fg, inPatch), 0, 'automatic hints: no fg hint on the patch');
    assert.ok(count(auto.bg, inPatch) > 100, `automatic hints: the patch is hinted background (${count(auto.bg, inPatch)} of 240)`);
    const off = workingHints(img, { fg, bg, source: 'saliency', saliency: prior }, { width: w, height: h }, true, false);
    assert.ok(count(off.fg, inPatch) > 100, `without the prior the speck's colour grows over the patch (${count(off.fg, inPatch)} of 240)`);
  });

  test('the focus ratio: an object in focus over a defocused background scores high, a sharp scene about 1', () => {
    const w = 40, h = 32, r = rng(9), fg = createImage(w, h, 1), bg = createImage(w, h, 1);
    const scene = (bgNoise: number) => {
      const img = createImage(w, h, 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const i = y * w + x, inside = x >= 12 && x < 28 && y >= 8 && y < 24;
        const v = 0.5 + (inside ? 0.4 : bgNoise) * (r() - 0.5);
        for (let k = 0; k < 3; k++) img.data[i * 3 + k] = v;
        fg.data[i] = inside ? 1 : 0; bg.data[i] = x < 6 || x >= 34 || y < 4 || y >= 28 ? 1 : 0;
      }
      return img;
    };
    assert.ok(focusRatio(scene(0.01), fg, bg) > 20, `defocused background: ${focusRatio(scene(0.01), fg, bg)}`);
    const sharp = focusRatio(scene(0.4), fg, bg);
    assert.ok(sharp > 0.7 && sharp < 1.4, `sharp scene: ${sharp}`);
    assert.equal(focusRatio(scene(0.4), createImage(w, h, 1), bg), 0, 'no fg hint: 0');
    assert.throws(() => focusRatio(scene(0.4), createImage(8, 8, 1), bg), /hints 8x8 and 40x32 for a 40x32 image/);
  });

  test('the focus map: near 1 on texture in focus, near 1 / (1 + k) on a background as flat as the known one', () => {
    const w = 40, h = 32, r = rng(4), img = createImage(w, h, 3), bg = createImage(w, h, 1);
    const inside = (x: number, y: number) => x >= 12 && x < 28 && y >= 8 && y < 24;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, v = 0.5 + (inside(x, y) ? 0.4 : 0.01) * (r() - 0.5);
      for (let k = 0; k < 3; k++) img.data[i * 3 + k] = v;
      bg.data[i] = x < 6 || x >= 34 || y < 4 || y >= 28 ? 1 : 0;
    }
    const f = focusMap(img, bg, 1, 3);
    assert.equal(f.channels, 1);
    let inMin = 1, outSum = 0, outN = 0;
    for (let y = 2; y < h - 2; y++) for (let x = 2; x < w - 2; x++) {
      const v = f.data[y * w + x];
      assert.ok(v >= 0 && v < 1, `in [0, 1): ${v}`);
      if (x >= 14 && x < 26 && y >= 10 && y < 22) inMin = Math.min(inMin, v);
      if (bg.data[y * w + x]) { outSum += v; outN++; }
    }
    assert.ok(inMin > 0.9, `texture in focus: ${inMin}`);
    assert.ok(Math.abs(outSum / outN - 0.25) < 0.1, `flat background about 1 / (1 + 3): ${outSum / outN}`);
    assert.throws(() => focusMap(img, createImage(8, 8, 1), 1, 3), /focusMap: a 8x8 background hint for a 40x32 image/);
  });

  test('the focus term gives the background a flat region inside the box whose colour the object also has; a colour only the box holds stays the object', () => {
    // A textured disc (red and brown pixels) with a fg hint at its centre, a flat brown patch beside
    // it, both inside a box over flat blue; a flat brown strip outside the box, or none.
    const scene = (strip: boolean) => {
      const w = 48, h = 40, r = rng(3), img = createImage(w, h, 3), fg = createImage(w, h, 1), bg = createImage(w, h, 1);
      const brown = [0.55, 0.35, 0.2];
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const i = y * w + x, disc = (x - 30) ** 2 + (y - 20) ** 2 < 64, patch = x >= 10 && x < 20 && y >= 10 && y < 30;
        const c = disc ? (r() < 0.5 ? [0.85, 0.15, 0.1] : brown) : patch || (strip && y >= 38) ? brown : [0.1, 0.5, 0.7];
        for (let k = 0; k < 3; k++) img.data[i * 3 + k] = c[k] + (disc ? 0.5 : 0.01) * (r() - 0.5);
        if (!(x >= 6 && x < 42 && y >= 6 && y < 34)) bg.data[i] = 1; else if ((x - 30) ** 2 + (y - 20) ** 2 < 9) fg.data[i] = 1;
      }
      return { img, fg, bg };
    };
    const count = (label: Image, inside: (x: number, y: number) => boolean) => {
      let n = 0;
      for (let y = 0; y < 40; y++) for (let x = 0; x < 48; x++) if (inside(x, y)) n += label.data[y * 48 + x];
      return n;
    };
    const inPatch = (x: number, y: number) => x >= 10 && x < 20 && y >= 10 && y < 30, inDisc = (x: number, y: number) => (x - 30) ** 2 + (y - 20) ** 2 < 64;
    for (const strip of [true, false]) {
      const { img, fg, bg } = scene(strip), focus = focusMap(img, bg, 1, 3);
      assert.equal(count(grabCut(img, fg, bg), inPatch), 200, 'colour alone: the patch is the object');
      const withFocus = grabCut(img, fg, bg, { focus, focusWeight: 2 });
      assert.equal(count(withFocus, inPatch), strip ? 0 : 200, strip ? 'with focus the flat patch is background' : 'brown only inside the box: colour decides');
      assert.ok(count(withFocus, inDisc) >= 190, `the disc stays the object (${count(withFocus, inDisc)} of 197)`);
      assert.throws(() => grabCut(img, fg, bg, { focus: createImage(4, 4, 1) }), /focus map is 4x4x1 but the image is 48x40/);
      // segment's box growing applies the recipe's weight only where the core is in focus over the outside.
      const size = { width: 48, height: 40 }, recipe = SEGMENT_RECIPE.focusCut, before = recipe.box;
      try {
        recipe.box = 2;
        const grown = workingHints(img, { fg, bg, source: 'box' }, size, true);
        assert.ok(grown.focus! >= SEGMENT_RECIPE.saliencyPriorFocus, `focus ratio ${grown.focus}`);
        if (strip) assert.ok(count(grown.fg, inPatch) === 0 && count(grown.bg, inPatch) > 50, `box hints: the patch is hinted background (${count(grown.bg, inPatch)} of 200)`);
        else assert.ok(count(grown.fg, inPatch) > 50, `box hints: the patch is hinted foreground (${count(grown.fg, inPatch)} of 200)`);
        recipe.box = 0;
        assert.ok(count(workingHints(img, { fg, bg, source: 'box' }, size, true).fg, inPatch) > 50, 'weight 0: the patch is hinted foreground');
      } finally { recipe.box = before; }
    }
  });

  test('automatic hints use the saliency prior by default only when the object is in focus over a defocused background', () => {
    // The prior test's scene: a red disc hinted at its centre, an orange patch saliency wrongly hinted
    // in one speck, a blue background hinted on a thin frame; the prior says the disc is likely.
    const w = 48, h = 40, inDisc = (x: number, y: number) => (x - 30) ** 2 + (y - 20) ** 2 < 64, inPatch = (x: number, y: number) => x >= 4 && x < 16 && y >= 10 && y < 30;
    const scene = (discTexture: number) => {
      const r = rng(5), img = createImage(w, h, 3), fg = createImage(w, h, 1), bg = createImage(w, h, 1), saliency = createImage(w, h, 1);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const i = y * w + x, c = inDisc(x, y) ? [0.85, 0.15, 0.1] : inPatch(x, y) ? [0.9, 0.55, 0.15] : [0.1, 0.5, 0.7];
        const noise = inDisc(x, y) ? discTexture : 0.01;
        for (let k = 0; k < 3; k++) img.data[i * 3 + k] = c[k] + noise * (r() - 0.5);
        if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) bg.data[i] = 1;
        if ((x - 30) ** 2 + (y - 20) ** 2 < 9 || (x >= 9 && x < 11 && y >= 19 && y < 21)) fg.data[i] = 1;
        saliency.data[i] = inDisc(x, y) ? 0.9 : inPatch(x, y) ? 0.1 : 0.2;
      }
      return { img, hints: { fg, bg, source: 'saliency' as const, saliency } };
    };
    const size = { width: w, height: h };
    for (const [texture, expectPrior] of [[0.3, true], [0.01, false]] as const) {
      const { img, hints } = scene(texture);
      const auto = workingHints(img, hints, size, true), forced = workingHints(img, hints, size, true, expectPrior);
      assert.equal(auto.focus! >= SEGMENT_RECIPE.saliencyPriorFocus, expectPrior, `focus ratio ${auto.focus}`);
      assert.deepEqual([auto.fg.data, auto.bg.data], [forced.fg.data, forced.bg.data], `texture ${texture}: the default is the prior ${expectPrior ? 'on' : 'off'}`);
      assert.notDeepEqual(auto.fg.data, workingHints(img, hints, size, true, !expectPrior).fg.data, 'the two growings differ on this scene');
    }
  });

  test('a box centre grows to the object rim, leaving a band along the cut unknown', () => {
    const { img, truth, fg, bg } = scene();
    const g = grabCutHints(img, fg, bg, { band: 2 });
    // Disc radius 11: fg everywhere 3 px (band + 1) inside its edge, bg everywhere 3 px outside.
    for (let y = 0; y < 40; y++) for (let x = 0; x < 48; x++) {
      const i = y * 48 + x, r = Math.hypot(x - 24, y - 20);
      if (bg.data[i] > 0.5) assert.equal(g.bg.data[i], 1, 'given background stays background');
      if (r < 8) assert.equal(g.fg.data[i], 1, `fg hint at ${x},${y}`);
      if (r > 14) assert.equal(g.bg.data[i], 1, `bg hint at ${x},${y}`);
      assert.ok(!(g.fg.data[i] && g.bg.data[i]), 'never both');
      if (g.fg.data[i]) assert.equal(truth.data[i], 1, `fg hint on the disc at ${x},${y}`);
      if (g.bg.data[i]) assert.equal(truth.data[i], 0, `bg hint off the disc at ${x},${y}`);
    }
    const rim = 20 * 48 + 34; // just inside the disc's right edge
    assert.equal(truth.data[rim], 1);
    assert.ok(g.fg.data[rim] === 0 && g.bg.data[rim] === 0, 'the rim is left unknown');
  });

  test("a user's fg hints are kept even where colour disagrees; without fg evidence the hints are returned unchanged", () => {
    const { img, bg } = scene();
    const userFg = createImage(48, 40, 1);
    userFg.data[8 * 48 + 12] = 1; // a background-coloured pixel the user says is foreground
    for (let i = 20 * 48 + 20; i < 20 * 48 + 28; i++) userFg.data[i] = 1;
    const kept = grabCutHints(img, userFg, bg, { keepFg: true });
    assert.equal(kept.fg.data[8 * 48 + 12], 1);
    const noFg = createImage(48, 40, 1), allBg = createImage(48, 40, 1, 1);
    const same = grabCutHints(img, noFg, allBg);
    assert.equal(same.fg, noFg);
    assert.equal(same.bg, allBg);
  });
});

describe('mask binarisation by a cut', () => {
  /** A colour edge at x = edge, and a soft mask that is unsure across it, crossing 0.5 at x = cross. */
  function blurred(w: number, h: number, edge: number, cross: number) {
    const img = createImage(w, h, 3), soft = createImage(w, h, 1);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x;
      for (let k = 0; k < 3; k++) img.data[i * 3 + k] = x < edge ? 0.2 : 0.8;
      soft.data[i] = Math.min(0.9, Math.max(0.1, 0.5 + (x - cross) * (0.3 / (w / 8))));
    }
    return { img, soft };
  }
  const boundary = (m: Image, y: number) => { let x = 0; while (x < m.width && m.data[y * m.width + x] === 0) x++; return x; };

  test('the boundary moves from the 0.5 contour to the colour edge; gamma 0 is the threshold', () => {
    const { img, soft } = blurred(48, 16, 24, 20);
    const cut = cutMask(img, soft);
    for (let y = 0; y < 16; y++) assert.equal(boundary(cut, y), 24, `row ${y}`);
    assert.deepEqual(cutMask(img, soft, 0).data, threshold(soft).data);
    assert.equal(boundary(threshold(soft), 0), 21);
  });

  test('a mask above the full-size limit is cut smaller and brought back to full size along the edges', () => {
    const { img, soft } = blurred(160, 120, 80, 70);
    const cut = cutMask(img, soft, CUT_GAMMA, 40 * 30); // cut at 40 x 30
    assert.equal(cut.width, 160);
    assert.ok(cut.data.every((v) => v === 0 || v === 1), 'binary');
    for (const y of [0, 60, 119]) assert.ok(Math.abs(boundary(cut, y) - 80) <= 1, `row ${y}: boundary at ${boundary(cut, y)}`);
  });

  test('a size whose reduced copy rounds above the limit is cut once at that copy (it used to recurse until the stack overflowed)', () => {
    // 5 x 57 with a limit of 100 px reduces to 3 x 34 = 102 px and stays there (as 513 x 553 at the default limit).
    const { img, soft } = blurred(5, 57, 2, 1);
    const cut = cutMask(img, soft, CUT_GAMMA, 100);
    assert.equal(cut.width, 5);
    assert.equal(cut.height, 57);
    assert.ok(cut.data.every((v) => v === 0 || v === 1), 'binary');
  });
});

describe('hints in the cut mask', () => {
  test('a hint settles what the soft mask is unsure of, cannot overturn what it is sure of, and unknown is neutral', () => {
    // Columns: soft 0.4 with a fg hint, soft 0.05 with a fg hint, soft 0.6 with a bg hint, soft 0.45 unknown.
    const soft = createImage(4, 1, 1), hint = createImage(4, 1, 1);
    soft.data.set([0.4, 0.05, 0.6, 0.45]);
    hint.data.set([1, 1, 0, 0.5]);
    const leaned = leanOnHints(soft, hint);
    const cut = threshold(leaned);
    assert.deepEqual([...cut.data], [1, 0, 0, 0]);
    assert.ok(Math.abs(leaned.data[3] - (0.75 * 0.45 + 0.25 * 0.5)) < 1e-6, 'unknown pulls to 0.5');
    assert.deepEqual([...leanOnHints(soft, hint, 0).data], [...soft.data], 'weight 0 is the soft mask');
  });

  test('a hint at another size is resized to the mask', () => {
    const soft = createImage(8, 6, 1, 0.45), hint = createImage(4, 3, 1, 1);
    const leaned = leanOnHints(soft, hint);
    assert.deepEqual([leaned.width, leaned.height], [8, 6]);
    assert.ok(leaned.data.every((v) => v > 0.5));
  });
});

describe('crop and paste', () => {
  test('a crop pasted back where it came from gives the image again; paste leaves its target untouched', () => {
    const r = rng(9), img = image(7, 5, 3, () => r());
    const part = crop(img, { x: 2, y: 1, width: 4, height: 3 });
    assert.deepEqual([part.width, part.height, part.channels], [4, 3, 3]);
    assert.equal(px(part, 0, 0, 1), px(img, 2, 1, 1));
    assert.equal(px(part, 3, 2, 2), px(img, 5, 3, 2));
    const blank = createImage(7, 5, 3);
    const back = paste(blank, part, 2, 1);
    assert.ok(blank.data.every((v) => v === 0), 'target not modified');
    for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) {
      const inside = x >= 2 && x < 6 && y >= 1 && y < 4;
      assert.equal(px(back, x, y, 0), inside ? px(img, x, y, 0) : 0, `${x},${y}`);
    }
  });
});
