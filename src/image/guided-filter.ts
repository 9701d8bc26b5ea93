// Guided filter (He, Sun & Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013).
//
// The output is locally a linear function of the guide, q = a·I + b, fitted per window by
// ridge regression (eps penalises large a). Where the guide has an edge the fit follows it,
// so edges of the guide survive; where the guide is flat the output is the window mean.
// With an RGB guide, a is a 3-vector found with the per-pixel 3x3 covariance of the guide.
//
// All window means use running box sums: O(1) per pixel whatever the radius. Large images are
// filtered in tiles (exactly: see guidedFilter), read a band of rows at a time.
// Windows are clipped at the borders and divided by their true pixel count.
import { createImage, type Image } from './image.js';
import { rowsOf } from './lazy-image.js';

/** Side of the tiles filtered at a time, in pixels, before the margin. */
export const TILE = 512;

/**
 * Filter `input` (any channel count, each filtered independently) guided by `guide`
 * (1 channel: grey guided filter; 3 channels: colour guided filter). Same size required.
 * `radius` is the window half-size (window is 2r+1 square), `eps` the regulariser (in
 * squared intensity units, e.g. 1e-3 for images in [0, 1]). `tile`: the side of the tiles
 * filtered at a time (the result does not depend on it).
 */
export function guidedFilter(guide: Image, input: Image, radius: number, eps: number, tile = TILE): Image {
  if (guide.width !== input.width || guide.height !== input.height) {
    throw new Error(
      `guidedFilter: guide is ${guide.width}x${guide.height} but input is ${input.width}x${input.height}. Resize them to the same size.`,
    );
  }
  if (guide.channels !== 1 && guide.channels !== 3) {
    throw new Error(`guidedFilter: guide has ${guide.channels} channels. Pass a 1-channel or 3-channel guide.`);
  }
  if (!Number.isInteger(radius) || radius < 0) {
    throw new Error(`guidedFilter: radius must be a non-negative integer, got ${radius}. Pass e.g. 30.`);
  }
  if (!(eps > 0)) {
    throw new Error(`guidedFilter: eps must be positive, got ${eps}. Pass e.g. 1e-3.`);
  }
  const { width: w, height: h } = guide;
  const out = createImage(w, h, input.channels);
  // The output at a pixel depends on the guide and input within 2r of it (a window mean of window
  // means), so a tile filtered with a margin of 2r is exact: its windows are clipped where the
  // image's are. A whole 24 MP colour filter held 29 float64 maps (5.6 GB); a tile's are 4 MB each.
  const reach = 2 * radius;
  for (let y0 = 0; y0 < h; y0 += tile) {
    const y1 = Math.min(h, y0 + tile), top = Math.max(0, y0 - reach), bottom = Math.min(h, y1 + reach);
    const guideRows = rowsOf(guide, top, bottom), inputRows = rowsOf(input, top, bottom);
    for (let x0 = 0; x0 < w; x0 += tile) {
      const x1 = Math.min(w, x0 + tile), left = Math.max(0, x0 - reach), right = Math.min(w, x1 + reach);
      const q = filterWhole(columns(guideRows, w, guide.channels, left, right), columns(inputRows, w, input.channels, left, right), radius, eps);
      const c = input.channels, row = (x1 - x0) * c;
      for (let y = y0; y < y1; y++) {
        const from = ((y - top) * q.width + (x0 - left)) * c;
        out.data.set(q.data.subarray(from, from + row), (y * w + x0) * c);
      }
    }
  }
  return out;
}

/** Columns [left, right) of rows of an image `width` wide, as an image. */
function columns(rows: Float32Array, width: number, channels: number, left: number, right: number): Image {
  const height = rows.length / (width * channels);
  const out = createImage(right - left, height, channels);
  for (let y = 0; y < height; y++) out.data.set(rows.subarray((y * width + left) * channels, (y * width + right) * channels), y * (right - left) * channels);
  return out;
}

/** The guided filter of a whole (small) image, in memory. */
function filterWhole(guide: Image, input: Image, radius: number, eps: number): Image {
  const { width: w, height: h } = guide;
  const n = w * h;
  const box = new BoxMean(w, h, radius);
  const I = splitChannels(guide);
  const out = createImage(w, h, input.channels);

  for (let c = 0; c < input.channels; c++) {
    const p = input.channels === 1 ? Float64Array.from(input.data) : channel(input, c);
    const model = guide.channels === 1 ? greyGuided(box, I[0], p, eps, n) : colourGuided(box, I, p, eps, n);
    for (let i = 0; i < n; i++) out.data[i * input.channels + c] = applyModel(model, I, i);
  }
  return out;
}

/** q at pixel i of a model's maps over the guide's channels I: sum_j a_j I_j + b. */
function applyModel(model: Float64Array[], I: Float64Array[], i: number): number {
  let q = 0;
  for (let j = 0; j < I.length; j++) q += model[j][i] * I[j][i];
  return q + model[I.length][i];
}

/**
 * The guided filter's linear model itself, for a small guide (in memory): the window-averaged
 * a_j (one map per guide channel) and b, each a map with the input's channels, as
 * [a_1, .., a_G, b]. The fast guided filter (He & Sun 2015) upsamples them and applies them to a
 * larger guide: q = sum_j a_j I_j + b.
 */
export function guidedModel(guide: Image, input: Image, radius: number, eps: number): Image[] {
  if (guide.width !== input.width || guide.height !== input.height) throw new Error(`guidedModel: guide is ${guide.width}x${guide.height} but input is ${input.width}x${input.height}`);
  const { width: w, height: h } = guide, n = w * h, C = input.channels;
  const box = new BoxMean(w, h, radius);
  const I = splitChannels(guide);
  const maps = Array.from({ length: guide.channels + 1 }, () => createImage(w, h, C));
  for (let c = 0; c < C; c++) {
    const p = C === 1 ? Float64Array.from(input.data) : channel(input, c);
    const model = guide.channels === 1 ? greyGuided(box, I[0], p, eps, n) : colourGuided(box, I, p, eps, n);
    model.forEach((values, j) => { for (let i = 0; i < n; i++) maps[j].data[i * C + c] = values[i]; });
  }
  return maps;
}

/** The window-averaged linear model q = a I + b of p on a grey guide: [a, b]. */
function greyGuided(box: BoxMean, I: Float64Array, p: Float64Array, eps: number, n: number): Float64Array[] {
  const meanI = box.mean(I);
  const meanP = box.mean(p);
  const meanII = box.meanOfProduct(I, I);
  const meanIP = box.meanOfProduct(I, p);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const varI = meanII[i] - meanI[i] * meanI[i];
    const covIP = meanIP[i] - meanI[i] * meanP[i];
    a[i] = covIP / (varI + eps);
    b[i] = meanP[i] - a[i] * meanI[i];
  }
  // Each pixel lies in many windows: average their linear models.
  return [box.mean(a), box.mean(b)];
}

/** The window-averaged linear model q = aR R + aG G + aB B + b of p on a colour guide: [aR, aG, aB, b]. */
function colourGuided(box: BoxMean, I: Float64Array[], p: Float64Array, eps: number, n: number): Float64Array[] {
  const [R, G, B] = I;
  const mR = box.mean(R);
  const mG = box.mean(G);
  const mB = box.mean(B);
  const mP = box.mean(p);
  const mRP = box.meanOfProduct(R, p);
  const mGP = box.meanOfProduct(G, p);
  const mBP = box.meanOfProduct(B, p);
  // Upper triangle of the guide's covariance in each window.
  const vRR = box.meanOfProduct(R, R);
  const vRG = box.meanOfProduct(R, G);
  const vRB = box.meanOfProduct(R, B);
  const vGG = box.meanOfProduct(G, G);
  const vGB = box.meanOfProduct(G, B);
  const vBB = box.meanOfProduct(B, B);

  const aR = new Float64Array(n);
  const aG = new Float64Array(n);
  const aB = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mr = mR[i];
    const mg = mG[i];
    const mb = mB[i];
    // Sigma + eps·U, symmetric.
    const rr = vRR[i] - mr * mr + eps;
    const rg = vRG[i] - mr * mg;
    const rb = vRB[i] - mr * mb;
    const gg = vGG[i] - mg * mg + eps;
    const gb = vGB[i] - mg * mb;
    const bb = vBB[i] - mb * mb + eps;
    const cR = mRP[i] - mr * mP[i];
    const cG = mGP[i] - mg * mP[i];
    const cB = mBP[i] - mb * mP[i];
    // Inverse via the adjugate (symmetric, so only six cofactors).
    const i00 = gg * bb - gb * gb;
    const i01 = rb * gb - rg * bb;
    const i02 = rg * gb - rb * gg;
    const i11 = rr * bb - rb * rb;
    const i12 = rb * rg - rr * gb;
    const i22 = rr * gg - rg * rg;
    const det = rr * i00 + rg * i01 + rb * i02; // positive: eps·U makes the matrix positive definite
    const ar = (i00 * cR + i01 * cG + i02 * cB) / det;
    const ag = (i01 * cR + i11 * cG + i12 * cB) / det;
    const ab = (i02 * cR + i12 * cG + i22 * cB) / det;
    aR[i] = ar;
    aG[i] = ag;
    aB[i] = ab;
    b[i] = mP[i] - ar * mr - ag * mg - ab * mb;
  }
  return [box.mean(aR), box.mean(aG), box.mean(aB), box.mean(b)];
}

/** Mean over the (2r+1)^2 window clipped to the image, by running sums (float64). */
class BoxMean {
  private readonly rowSums: Float64Array;
  private readonly colAcc: Float64Array;
  private readonly scratch: Float64Array;
  private readonly invCount: Float64Array;

  constructor(
    private readonly w: number,
    private readonly h: number,
    private readonly r: number,
  ) {
    this.rowSums = new Float64Array(w * h);
    this.colAcc = new Float64Array(w);
    this.scratch = new Float64Array(w * h);
    this.invCount = new Float64Array(w * h);
    for (let y = 0; y < h; y++) {
      const ny = Math.min(h - 1, y + r) - Math.max(0, y - r) + 1;
      for (let x = 0; x < w; x++) {
        const nx = Math.min(w - 1, x + r) - Math.max(0, x - r) + 1;
        this.invCount[y * w + x] = 1 / (nx * ny);
      }
    }
  }

  /** Window mean of a[i] * b[i] (a reused buffer holds the product: big arrays are slow to allocate). */
  meanOfProduct(a: Float64Array, b: Float64Array): Float64Array {
    const p = this.scratch;
    for (let i = 0; i < p.length; i++) p[i] = a[i] * b[i];
    return this.mean(p);
  }

  mean(src: Float64Array): Float64Array {
    const { w, h, r, rowSums, colAcc, invCount } = this;
    // Horizontal window sums: slide along each row, adding the entering pixel, dropping the leaving one.
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let acc = 0;
      for (let x = 0; x <= Math.min(r, w - 1); x++) acc += src[row + x];
      for (let x = 0; x < w; x++) {
        rowSums[row + x] = acc;
        if (x + r + 1 < w) acc += src[row + x + r + 1];
        if (x - r >= 0) acc -= src[row + x - r];
      }
    }
    // Vertical: the same slide, a whole row of column sums at a time (memory in order).
    const out = new Float64Array(w * h);
    colAcc.fill(0);
    for (let y = 0; y <= Math.min(r, h - 1); y++) {
      for (let x = 0, row = y * w; x < w; x++) colAcc[x] += rowSums[row + x];
    }
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) out[row + x] = colAcc[x] * invCount[row + x];
      if (y + r + 1 < h) for (let x = 0, add = (y + r + 1) * w; x < w; x++) colAcc[x] += rowSums[add + x];
      if (y - r >= 0) for (let x = 0, sub = (y - r) * w; x < w; x++) colAcc[x] -= rowSums[sub + x];
    }
    return out;
  }
}

function channel(img: Image, c: number): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = img.data[i * img.channels + c];
  return out;
}

function splitChannels(img: Image): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < img.channels; c++) out.push(channel(img, c));
  return out;
}
