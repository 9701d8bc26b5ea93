// Bad input on the command line, as a user types it: every case is a usage error, refused before
// any work with exit 2, a message that names the option and the value (and the fix), and no
// output folder. Then the same bad values through the CLI, the web API and the library: one
// message text, each surface naming the option its own way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createImage } from '../src/image/image.js';
import { writeImage } from '../src/io/image-file.js';
import { segment } from '../src/tasks/segment.js';
import { OptionError } from '../src/tasks/options.js';
import { startServer } from '../src/web/server.js';

const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dd-bad-cli-'));
const img = join(tmp, 'in.png'), img2 = join(tmp, 'in2.png'), big = join(tmp, 'big.png'), hint = join(tmp, 'hint.png'), clip = join(tmp, 'frames');

/** Runs the real command; resolves with its exit code and stderr. */
function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Maps f over items, at most n at a time. */
async function pool<T, R>(items: T[], n: number, f: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) { const i = next++; out[i] = await f(items[i], i); }
  }));
  return out;
}

/** args (the runner adds -o to a fresh folder, --data for serve) -> a fragment of stderr; every case exits 2. */
const cases: [string[], RegExp][] = [
  // Common numbers: a word, negative, zero, a fraction, NaN, Infinity, 20 digits, above the max.
  [['segment', img, '--iterations', 'abc'], /Expected an integer from 1 to 1000000 for --iterations but received "abc"/],
  [['segment', img, '--iterations=-5'], /for --iterations but received -5/],
  [['segment', img, '--iterations', '0'], /for --iterations but received 0/],
  [['segment', img, '--iterations', '1.5'], /for --iterations but received 1\.5/],
  [['segment', img, '--iterations', 'NaN'], /for --iterations but received NaN/],
  [['segment', img, '--iterations', 'Infinity'], /for --iterations but received Infinity/],
  [['segment', img, '--iterations', '12345678901234567890'], /from 1 to 1000000 for --iterations but received 12345678901234567000/],
  [['segment', img, '--iterations', '2000000'], /for --iterations but received 2000000/],
  [['separate', img, '--max-seconds', '0'], /Expected a number of seconds above 0 and at most 604800 \(a week\) for --max-seconds but received 0/],
  [['separate', img, '--max-seconds=-1'], /for --max-seconds but received -1/],
  [['separate', img, '--max-seconds', 'NaN'], /for --max-seconds but received NaN/],
  [['separate', img, '--max-seconds', 'soon'], /for --max-seconds but received "soon"/],
  [['separate', img, '--max-seconds', '1e9'], /for --max-seconds but received 1000000000/],
  [['complexity', img, '--size', '100000'], /Expected an integer from 128 to 2048 for --size but received 100000/],
  [['complexity', img, '--size', '32'], /from 128 to 2048 for --size but received 32/],
  [['complexity', img, '--size', '100.5'], /for --size but received 100\.5/],
  [['separate', img, '--size', '64'], /Expected an integer from 128 to 2048 for --size but received 64/], // separation's nets need 128
  [['dehaze', img, '--seed', '12345678901234567890'], /Expected an integer from 0 to 2147483647 for --seed but received/],
  [['dehaze', img, '--seed=-1'], /for --seed but received -1/],
  [['watermark', img, '--box', '1,1,20,20', '--threads', '1e9'], /Expected an integer from 1 to 256 for --threads but received 1000000000/],
  [['watermark', img, '--box', '1,1,20,20', '--threads', '0'], /for --threads but received 0/],
  [['video', 'segment', clip, '--threads', 'two'], /for --threads but received "two"/],
  [['segment', img, '--device', 'gpu'], /Expected cpu, cuda or cuda:N for --device but received "gpu"/],

  // Words.
  [['separate', img, '--model', 'mix'], /Expected one of blend, sum for --model but received "mix"/],
  [['dehaze', img, '--method', 'magic'], /Expected one of double-dip, dcp for --method but received "magic"/],
  [['watermark', img, img2, '--clean', 'both'], /Expected one of solved, net, refit for --clean but received "both"/],
  [['video', 'segment', clip, '--hints', 'some'], /Expected one of each, first, none for --hints but received "some"/],
  [['segment', img, '--grow-hints', 'maybe'], /Expected yes or no for --grow-hints but received "maybe"/],

  // Boxes: syntax, three numbers, negative, outside, too small at the working size, NaN.
  [['segment', img, '--box', 'a,b,c,d'], /Expected X,Y,W,H \(four integers, pixels\) for --box but received "a,b,c,d"/],
  [['segment', img, '--box', '1,2,3'], /for --box but received "1,2,3"/],
  [['segment', img, '--box=-1,0,10,10'], /x, y >= 0 and width, height >= 1 for --box but received -1,0,10,10/],
  [['segment', img, '--box', '10,10,0,10'], /for --box but received 10,10,0,10/],
  [['segment', img, '--box', '80,60,40,40'], /The --box 80,60,40,40 lies outside the 90x70 image/],
  [['segment', img, '--box', '10,10,2,2'], /The --box 10,10,2,2 is too small at the working size.*Draw a box at least 3x3 pixels/],
  [['segment', big, '--box', '100,100,12,12'], /processed at 256x192 \(--size 256\).*Draw a box at least 16x16 pixels, or raise --size to \d+/],
  [['segment', img, '--box', 'NaN,0,10,10'], /for --box but received "NaN,0,10,10"/],
  [['watermark', img, '--box', '1,2,3'], /for --box but received "1,2,3"/],
  [['watermark', img, '--box', '50,50,60,60'], /The --box 50,50,60,60 lies outside the 90x70 image/],

  // A hint and a box; colours.
  [['segment', img, '--hint', hint, '--box', '10,10,40,40'], /Give either --hint or --box, not both/],
  [['watermark', img, '--box', '10,10,40,40', '--hint', hint], /Give either --box or --hint, not both/],
  [['dehaze', img, '--airlight', '1,2'], /Expected R,G,B with each from 1 to 255 for --airlight but received "1,2"/],
  [['dehaze', img, '--airlight', '0,200,200'], /from 1 to 255 for --airlight but received "0,200,200"/],
  [['dehaze', img, '--airlight', '300,200,200'], /for --airlight but received "300,200,200"/],
  [['watermark', img, '--box', '1,1,20,20', '--mark-colour', '256,0,0'], /Expected white, learn or R,G,B with each from 0 to 255 for --mark-colour but received "256,0,0"/],
  [['video', 'dehaze', clip, '--airlight', '0,0,0'], /from 1 to 255 for --airlight but received "0,0,0"/],

  // Frame ranges and the video's numbers.
  [['video', 'segment', clip, '--frames', 'x'], /Expected A:B \(frames A to B-1, e\.g\. 0:100\) for --frames but received "x"/],
  [['video', 'segment', clip, '--frames', '7:3'], /--frames 7:3: the end \(3\) must be after the start \(7\)/],
  [['video', 'segment', clip, '--chunk', '2'], /Expected 0 \(off\) or an integer from 3 to 300 for --chunk but received 2/],
  [['video', 'segment', clip, '--chunk', '301'], /Expected 0 \(off\) or an integer from 3 to 300 for --chunk but received 301/],
  [['video', 'dehaze', clip, '--chunk', 'half'], /Expected 0 \(off\) or an integer from 3 to 300 for --chunk but received "half"/],
  [['video', 'segment', clip, '--fps', '0'], /Expected a frame rate above 0 and at most 240 for --fps but received 0/],
  [['video', 'separate', clip, '--batch', '0'], /Expected an integer from 1 to 300 for --batch but received 0/],
  [['video', 'separate', clip, '--batch', '1000'], /for --batch but received 1000/],

  // Options that do not apply to the task, the mode or the number of images.
  [['video', 'separate', clip, '--hints', 'first'], /--hints does not apply to video separate: it applies to video segment/],
  [['video', 'dehaze', clip, '--grow-hints', 'no'], /--grow-hints does not apply to video dehaze/],
  [['video', 'segment', clip, '--airlight', '200,200,200'], /--airlight does not apply to video segment: it applies to dehaze, video dehaze/],
  [['dehaze', img, '--method', 'dcp', '--passes', '2'], /--passes applies to --method double-dip only/],
  [['separate', img, img2, '--model', 'sum'], /--model applies to one image/],
  [['separate', img, '--layers', 'net'], /--layers applies to two images/],
  [['watermark', img, img2, '--opacity', 'free'], /--opacity applies to one image/],
  [['watermark', img, '--box', '1,1,10,10', '--clean', 'refit'], /--clean refit applies to several images sharing a mark/],
  [['watermark', img, img2, '--box', '1,1,10,10'], /--box applies to one image; several images sharing a mark need no region/],
  [['watermark', img], /One image needs the watermark region: give --box or --hint/],
  [['segment', img, '--runs', '3'], /Unknown option --runs/],

  // Recipe numbers.
  [['dehaze', img, '--passes', '4'], /Expected an integer from 1 to 3 for --passes but received 4/],
  [['dehaze', img, '--airlight-grid', '0.5'], /for --airlight-grid but received 0\.5/],
  [['dehaze', img, '--dark-channel=-1'], /Expected a number from 0 to 1000 for --dark-channel but received -1/],
  [['dehaze', img, '--transmission-hint', '5000'], /for --transmission-hint but received 5000/],
  [['watermark', img, '--box', '1,1,20,20', '--runs', '10'], /Expected an integer from 1 to 9 for --runs but received 10/],
  [['watermark', img, '--box', '1,1,20,20', '--sparsity', 'lots'], /for --sparsity but received "lots"/],

  // The server's options.
  [['serve', '--port', '70000'], /Expected an integer from 0 to 65535 for --port but received 70000/],
  [['serve', '--port=-1'], /for --port but received -1/],
  [['serve', '--port', 'http'], /for --port but received "http"/],
];

let results: { code: number | null; stderr: string; out: string }[] = [];

before(async () => {
  const picture = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 20, g: 100, b: 200 } } })
    .composite([{ input: { create: { width: Math.round(w / 2), height: Math.round(h / 2), channels: 3, background: { r: 250, g: 220, b: 10 } } },
      left: Math.round(w / 4), top: Math.round(h / 4) }]).png();
  await picture(90, 70).toFile(img);
  await picture(90, 70).flop().toFile(img2);
  await picture(1024, 768).toFile(big);
  const m = createImage(90, 70, 1);
  for (let y = 20; y < 50; y++) m.data.fill(1, y * 90 + 25, y * 90 + 65);
  await writeImage(hint, m);
  mkdirSync(clip);
  for (const k of [0, 1]) await picture(64, 48).toFile(join(clip, `${k}.png`));
  // Two at a time: each run starts Node and loads libtorch.
  results = await pool(cases, 2, async ([args], i) => {
    const out = join(tmp, `out-${i}`);
    // One iteration unless the case is about iterations: a case that got through would still end soon.
    const extra = args[0] === 'serve' ? ['--data', out] : ['-o', out, ...(args.some((a) => a.startsWith('--iterations')) ? [] : ['--iterations', '1'])];
    return { ...(await cli([...args, ...extra])), out };
  });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('CLI: bad input exits 2 before any work, names the problem, writes nothing', () => {
  cases.forEach(([args, message], i) => {
    test(args.map((a) => a.startsWith(tmp) ? a.slice(tmp.length + 1) : a).join(' '), () => {
      const r = results[i];
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Run "double-dip .*--help" for usage/);
      assert.equal(existsSync(r.out), false, `${r.out} was created`);
    });
  });
});

describe('one message on every surface', () => {
  test('the CLI, the web API and the library reject the same bad values with the same words, each naming the option its own way', async () => {
    const dataDir = join(tmp, 'web');
    const server = await startServer({ port: 0, dataDir });
    try {
      const png = (await readFile(img)).toString('base64');
      const image = { width: 90, height: 70, channels: 3, data: new Float32Array(90 * 70 * 3).fill(0.5) };
      const bad: [option: string, flag: string, value: number | string][] = [
        ['iterations', '--iterations', 0], ['iterations', '--iterations', 1.5], ['iterations', '--iterations', 'abc'],
        ['size', '--size', 100000], ['size', '--size', 32], ['seed', '--seed', -1], ['seed', '--seed', 12345678901234567890],
        ['maxSeconds', '--max-seconds', 0], ['maxSeconds', '--max-seconds', 1e9],
      ];
      const texts = await pool(bad, 2, async ([option, flag, value]) => {
        const r = await cli(['segment', img, '-o', join(tmp, 'never'), `${flag}=${value}`]); // = so that a negative value is not read as a flag
        const cliText = /error: (.*)\n/.exec(r.stderr)?.[1] ?? r.stderr;
        const res = await fetch(`${server.url}api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ task: 'segment', images: [png], options: { [option]: value } }) });
        assert.equal(res.status, 400);
        const webText = String(((await res.json()) as { error: string }).error);
        const e = await segment(image, { [option]: value }).catch((x: unknown) => x);
        assert.ok(e instanceof OptionError, String(e));
        return { option, value, cli: cliText.replace(flag, 'NAME'), web: webText.replace(`"${option}"`, 'NAME'), library: e.message.replace(option, 'NAME'), code: r.code };
      });
      for (const t of texts) {
        assert.equal(t.code, 2);
        assert.match(t.library, /^Expected .* for NAME but received /);
        assert.equal(t.cli, t.library, `${t.option} ${t.value}: CLI`);
        assert.equal(t.web, t.library, `${t.option} ${t.value}: web`);
      }
      assert.equal(existsSync(join(tmp, 'never')), false);
    } finally {
      await server.close();
    }
  });
});
