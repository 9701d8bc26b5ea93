// Makes the README's before/after pictures with the tool itself, from the CC0/BSD photos in
// examples/ (see examples/LICENSES.md), then input and outputs side by side as
// docs/images/<task>.jpg. Segmentation runs at its defaults; the others with SHORT (600
// iterations, one watermark run) to keep the script to minutes: the README says so.
//   node scripts/readme-pictures.mjs [task...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const root = new URL('..', import.meta.url).pathname;
const ex = (f) => join(root, 'examples', f);
const tmp = mkdtempSync(join(tmpdir(), 'dd-pictures-'));
const outDir = join(root, 'docs', 'images');
mkdirSync(outDir, { recursive: true });
const H = 220;
const SHORT = ['--iterations', '600'];

function cli(...args) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'double-dip.mjs'), ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`double-dip ${args.join(' ')} failed (${r.status})`);
}

/** Panels (file paths) scaled to one height, side by side with a caption strip each. */
async function strip(name, panels) {
  const tiles = [];
  for (const [label, file] of panels) {
    const img = sharp(file).resize({ height: H });
    const { data, info } = await img.png().toBuffer({ resolveWithObject: true });
    const caption = Buffer.from(`<svg width="${info.width}" height="24"><rect width="100%" height="100%" fill="white"/>` +
      `<text x="50%" y="17" font-family="DejaVu Sans, sans-serif" font-size="14" text-anchor="middle">${label}</text></svg>`);
    tiles.push({ data, width: info.width, caption });
  }
  const gap = 6, width = tiles.reduce((w, t) => w + t.width, 0) + gap * (tiles.length - 1);
  const layers = [];
  let x = 0;
  for (const t of tiles) {
    layers.push({ input: t.data, left: x, top: 0 }, { input: t.caption, left: x, top: H });
    x += t.width + gap;
  }
  await sharp({ create: { width, height: H + 24, channels: 3, background: 'white' } }).composite(layers).jpeg({ quality: 82 })
    .toFile(join(outDir, `${name}.jpg`));
  console.log(`wrote docs/images/${name}.jpg`);
}

async function raw(file, w, h) {
  return (await sharp(file).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer());
}
const save = (data, w, h, file) => sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);

const TASKS = {
  async segment() {
    const o = join(tmp, 'segment');
    cli('segment', ex('flower.jpg'), '-o', o, '--quiet');
    await strip('segment', [['input', ex('flower.jpg')], ['mask', join(o, 'mask.png')], ['foreground', join(o, 'foreground.png')],
      ['background', join(o, 'background.png')]]);
  },
  async separate() {
    // Two mixtures of the same two photos with different coefficients (paper eq. 6).
    const w = 450, h = 300, a = await raw(ex('chelsea.png'), w, h), b = await raw(ex('coffee.png'), w, h);
    const mix = (m) => Buffer.from(a.map((v, i) => Math.round(m * v + (1 - m) * b[i])));
    const i1 = join(tmp, 'mix1.png'), i2 = join(tmp, 'mix2.png');
    await save(mix(0.7), w, h, i1); await save(mix(0.35), w, h, i2);
    const o = join(tmp, 'separate');
    cli('separate', i1, i2, '-o', o, '--quiet', ...SHORT);
    await strip('separate', [['mixture 1', i1], ['mixture 2', i2], ['layer 1', join(o, 'layer1.png')], ['layer 2', join(o, 'layer2.png')]]);
  },
  async dehaze() {
    // Haze from a depth that grows towards the top of the picture: I = t J + (1 - t) A, t = exp(-1.6 d).
    const w = 600, h = 400, j = await raw(ex('coffee.png'), w, h), A = [0.85 * 255, 0.87 * 255, 0.9 * 255];
    const hazy = Buffer.alloc(j.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const t = Math.exp(-1.6 * (0.2 + 0.8 * (1 - y / h)));
      for (let c = 0; c < 3; c++) { const i = (y * w + x) * 3 + c; hazy[i] = Math.round(t * j[i] + (1 - t) * A[c]); }
    }
    const input = join(tmp, 'hazy.png');
    await save(hazy, w, h, input);
    const o = join(tmp, 'dehaze');
    cli('dehaze', input, '-o', o, '--quiet', ...SHORT);
    await strip('dehaze', [['hazy input', input], ['dehazed', join(o, 'dehazed.png')], ['transmission', join(o, 'transmission.png')]]);
  },
  async watermark() {
    // A white text mark at opacity 0.5, and a box around it.
    const w = 600, h = 400;
    const mark = Buffer.from(`<svg width="${w}" height="${h}"><text x="300" y="215" font-family="DejaVu Sans, sans-serif" font-weight="bold" ` +
      `font-size="64" text-anchor="middle" fill="white" fill-opacity="0.5">double-dip</text></svg>`);
    const input = join(tmp, 'marked.png');
    await sharp(ex('coffee.png')).resize(w, h).composite([{ input: mark }]).removeAlpha().png().toFile(input);
    const o = join(tmp, 'watermark');
    cli('watermark', input, '-o', o, '--box', '110,150,380,85', '--quiet', ...SHORT, '--runs', '1');
    await strip('watermark', [['marked input', input], ['clean', join(o, 'clean.png')], ['opacity', join(o, 'alpha.png')]]);
  },
  async video() {
    // A clip made by panning across the flower photo: six frames, the flowers moving left.
    const dir = join(tmp, 'frames');
    mkdirSync(dir, { recursive: true });
    const meta = await sharp(ex('flower.jpg')).metadata();
    const w = Math.round(meta.width * 0.75), h = meta.height;
    for (let k = 0; k < 6; k++)
      await sharp(ex('flower.jpg')).extract({ left: Math.round((k * (meta.width - w)) / 5), top: 0, width: w, height: h }).png()
        .toFile(join(dir, `${String(k + 1).padStart(5, '0')}.png`));
    const o = join(tmp, 'video');
    cli('video', 'segment', dir, '-o', o, '--quiet', ...SHORT);
    await strip('video', [['frame 1', join(dir, '00001.png')], ['mask 1', join(o, 'mask', '00001.png')],
      ['frame 6', join(dir, '00006.png')], ['mask 6', join(o, 'mask', '00006.png')]]);
  },
};

const wanted = process.argv.slice(2);
for (const [name, make] of Object.entries(TASKS)) if (wanted.length === 0 || wanted.includes(name)) await make();
