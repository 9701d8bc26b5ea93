// The local web app: API robustness (limits, bad input, unknown ids, path traversal, failing jobs,
// restarts) and real browser sessions (upload, box, live previews, stop, download; a video job).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { crc32 as zlibCrc32 } from 'node:zlib';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { probeVideo } from '../src/io/video-file.js';
import { startServer, type RunningServer } from '../src/web/server.js';
import type { JobInfo } from '../src/web/jobs.js';
import { TASKS, optionFields } from '../src/tasks/registry.js';
import { crc32, zip } from '../src/web/zip.js';
import { picture } from './support/png.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the page, for people to look at: written only when DD_SCREENSHOTS names a folder. */
const SHOTS = process.env.DD_SCREENSHOTS;
async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  // Best effort: on a busy machine the renderer may be slow while a job trains.
  await page.screenshot({ path: join(SHOTS, name), fullPage: true, timeout: 15_000 }).catch(() => undefined);
}

let dataDir: string;
let srv: RunningServer;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'double-dip-web-test-'));
  srv = await startServer({ port: 0, dataDir });
});
after(async () => {
  await srv?.close();
  await rm(dataDir, { recursive: true, force: true });
});


/** A tiny test clip made by ffmpeg: `frames` frames of its moving test pattern, as an MP4. */
async function clip(frames: number, width = 64, height = 48, rate = 4): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'double-dip-web-clip-'));
  try {
    const path = join(dir, 'clip.mp4');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${rate}`,
      '-frames:v', String(frames), '-pix_fmt', 'yuv420p', path]);
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(srv.url + path.replace(/^\//, ''), init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const postJob = (body: unknown) => api('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A raw GET, so the path reaches the server exactly as written (fetch would normalise "..").*/
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForJob(id: string, done: (j: JobInfo) => boolean, seconds = 60): Promise<JobInfo> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const { body } = await api(`/api/jobs/${id}`);
    const job = body as unknown as JobInfo;
    if (done(job)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('web API', () => {
  test('serves the page and lists the tasks', async () => {
    const page = await fetch(srv.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /Double-DIP/);
    assert.equal((await fetch(srv.url + 'nope.js')).status, 404);
  });

  test('GET /api/tasks lists every registry task with exactly its option fields', async () => {
    const { status, body } = await api('/api/tasks');
    assert.equal(status, 200);
    const tasks = body.tasks as Record<string, unknown>[];
    assert.deepEqual(tasks.map((t) => t.name), Object.keys(TASKS));
    for (const t of tasks) {
      const entry = TASKS[String(t.name)];
      // As JSON carries it: the same fields, in the same order, with the same words.
      assert.deepEqual(t.options, JSON.parse(JSON.stringify(optionFields(entry.name))), entry.name);
      assert.deepEqual([t.summary, t.about, t.inputs, t.outputs], [entry.summary, entry.about, entry.inputs, entry.outputs], entry.name);
    }
    // The CLI's options are offered: device, threads and a recipe's own.
    const dehaze = tasks.find((t) => t.name === 'dehaze')!.options as { name: string }[];
    for (const n of ['device', 'threads', 'darkChannel', 'airlightGrid']) assert.ok(dehaze.some((f) => f.name === n), n);
  });

  test('options set as form text or JSON reach the task: recipe options are in report.json', async () => {
    const png = (await picture(48, 40)).toString('base64');
    // Text as a form field holds it, and JSON values, mixed.
    const dehaze = await postJob({ task: 'dehaze', images: [png],
      options: { size: '64', iterations: 1, darkChannel: '0.2', airlightGrid: 2, darkChannelByT: 'no', device: 'cpu', threads: '1' } });
    assert.equal(dehaze.status, 202, String(dehaze.body.error));
    // The job keeps the values the schema checked, as JSON.
    assert.deepEqual(dehaze.body.options, { size: 64, iterations: 1, darkChannel: 0.2, airlightGrid: 2, darkChannelByT: false, device: 'cpu', threads: 1 });
    const mark = await postJob({ task: 'watermark', images: [png],
      options: { size: 64, iterations: '2', runs: '1', sparsity: '0.2', markColour: '0,0,255', box: '10,10,20,12', threads: 1 } });
    assert.equal(mark.status, 202, String(mark.body.error));
    assert.deepEqual((mark.body.options as Record<string, unknown>).box, { x: 10, y: 10, width: 20, height: 12 });
    const d = await waitForJob(String(dehaze.body.id), (j) => j.state !== 'queued' && j.state !== 'running', 120);
    assert.equal(d.state, 'done', d.error);
    const dr = (await api(`/api/jobs/${d.id}/files/report.json`)).body as { recipe: Record<string, unknown>; engine: { threads: number }; iterations: number };
    assert.equal(dr.recipe.darkChannel, 0.2);
    assert.equal(dr.recipe.airlightGrid, 2);
    assert.equal(dr.recipe.darkChannelByT, false);
    assert.equal(dr.engine.threads, 1);
    assert.equal(dr.iterations, 1);
    const w = await waitForJob(String(mark.body.id), (j) => j.state !== 'queued' && j.state !== 'running', 120);
    assert.equal(w.state, 'done', w.error);
    const wr = (await api(`/api/jobs/${w.id}/files/report.json`)).body as { recipe: Record<string, unknown>; markColour: unknown; box: unknown; mode: string };
    assert.equal(wr.recipe.sparsity, 0.2);
    assert.deepEqual(wr.markColour, [0, 0, 1]);
    assert.deepEqual([wr.mode, wr.box], ['box', { x: 10, y: 10, width: 20, height: 12 }]);
  });

  test('a body over the limit is refused with 413', async () => {
    const big = JSON.stringify({ task: 'segment', images: ['A'.repeat(41 * 1024 * 1024)] });
    const { status, body } = await api('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(status, 413);
    assert.match(String(body.error), /too large/);
  });

  test('bytes that are not an image are refused with 400 and a message', async () => {
    const { status, body } = await postJob({ task: 'segment', images: [Buffer.from('this is not a PNG file at all').toString('base64')] });
    assert.equal(status, 400);
    assert.match(String(body.error), /not a readable image/);
  });

  test('an image below the minimum size is refused with 400', async () => {
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    const { status, body } = await postJob({ task: 'segment', images: [tiny.toString('base64')] });
    assert.equal(status, 400);
    assert.match(String(body.error), /too small/);
  });

  test('bad requests get 400 with a reason', async () => {
    const png = (await picture(48, 40)).toString('base64');
    const bad = await api('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"task": ' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /not valid JSON/);
    assert.equal((await postJob({ task: 'rm -rf', images: [png] })).status, 400);
    assert.equal((await postJob({ task: 'segment', images: [png, png] })).status, 400);
    const size = await postJob({ task: 'segment', images: [png], options: { size: 10 } });
    assert.equal(size.status, 400);
    assert.match(String(size.body.error), /size/);
    const small = await postJob({ task: 'separate', images: [png], options: { size: 64 } }); // separation's nets need 128 px
    assert.equal(small.status, 400);
    assert.match(String(small.body.error), /Expected an integer from 128 to 2048 for "size" but received 64/);
    const box = await postJob({ task: 'segment', images: [png], options: { box: { x: 40, y: 0, width: 20, height: 10 } } });
    assert.equal(box.status, 400);
    assert.match(String(box.body.error), /outside/);
  });

  test('unknown jobs and routes are 404 JSON', async () => {
    for (const path of ['/api/jobs/0123456789ab', '/api/jobs/nope', '/api/jobs/0123456789ab/events', '/api/jobs/0123456789ab/archive',
      '/api/jobs/0123456789ab/files/mask.png', '/api/nothing']) {
      const r = await rawGet(path);
      assert.equal(r.status, 404, path);
      assert.ok(typeof JSON.parse(r.body).error === 'string', path);
    }
    const stop = await api('/api/jobs/0123456789ab/stop', { method: 'POST' });
    assert.equal(stop.status, 404);
  });

  test('dehaze offers the dark channel prior as a method: done in one step, its outputs listed', async () => {
    const png = (await picture(48, 40)).toString('base64');
    assert.equal((await postJob({ task: 'dehaze', images: [png], options: { method: 'magic' } })).status, 400);
    const { status, body } = await postJob({ task: 'dehaze', images: [png], options: { method: 'dcp' } });
    assert.equal(status, 202);
    const job = await waitForJob(String(body.id), (j) => j.state !== 'queued' && j.state !== 'running');
    assert.equal(job.state, 'done', job.error);
    for (const f of ['dehazed.png', 'transmission.png', 'airlight.png', 'report.json']) assert.ok(job.files.includes(f), job.files.join());
    const report = await api(`/api/jobs/${job.id}/files/report.json`);
    assert.equal(report.body.method, 'dcp');
  });

  test('a failing job keeps its message and the server keeps serving', async () => {
    // Uploads are checked by their header and decoded when the job starts: a PNG cut short after
    // its header is taken, and its job fails.
    const png = await picture(48, 40);
    const { status, body } = await postJob({ task: 'segment', images: [png.subarray(0, 100).toString('base64')],
      options: { size: 64, iterations: 5 } });
    assert.equal(status, 202);
    const job = await waitForJob(String(body.id), (j) => j.state !== 'queued' && j.state !== 'running');
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /Cannot read image "the image": decoding failed .* truncated or corrupt/);
    assert.doesNotMatch(job.error ?? '', /\/in\/|uploads/); // no server paths on the page
    assert.deepEqual(job.files, []);
    // Still serving, and the failure is listed.
    const list = await api('/api/jobs');
    assert.equal(list.status, 200);
    assert.ok((list.body.jobs as JobInfo[]).some((j) => j.id === job.id && j.state === 'failed'));
    assert.equal((await rawGet(`/api/jobs/${job.id}/files/mask.png`)).status, 404);
    // Its events replay the failure.
    const events = await fetch(`${srv.url}api/jobs/${job.id}/events`);
    const reader = events.body!.getReader();
    let text = '';
    while (!/truncated or corrupt/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });

  test('one job trains at a time; the next waits with its queue position; stop and cancel', async () => {
    const png = (await picture(48, 40)).toString('base64');
    const a = await postJob({ task: 'segment', images: [png], options: { size: 64, iterations: 100000 } });
    const b = await postJob({ task: 'segment', images: [png], options: { size: 64, iterations: 100000 } });
    // Cancel and stop at once (each request waits for a training step), then check.
    const cancelled = await api(`/api/jobs/${b.body.id}/stop`, { method: 'POST' });
    await api(`/api/jobs/${a.body.id}/stop`, { method: 'POST' });
    assert.equal(a.status, 202);
    assert.equal(a.body.state, 'running');
    assert.equal(b.status, 202);
    assert.equal(b.body.state, 'queued');
    assert.equal(b.body.queuePosition, 1);
    assert.equal(cancelled.body.state, 'cancelled');
    const stopped = await waitForJob(String(a.body.id), (j) => j.state !== 'running');
    assert.equal(stopped.state, 'stopped');
    assert.ok(stopped.files.includes('mask.png') && stopped.files.includes('report.json'), stopped.files.join());
    const report = await fetch(`${srv.url}api/jobs/${a.body.id}/files/report.json`);
    assert.equal(report.status, 200);
    assert.equal(((await report.json()) as { stopReason: string }).stopReason, 'aborted');
    const archive = await fetch(`${srv.url}api/jobs/${a.body.id}/archive`);
    assert.equal(archive.headers.get('content-type'), 'application/zip');
    assert.equal(Buffer.from(await archive.arrayBuffer()).readUInt32LE(0), 0x04034b50);
  });

  test('the video task refuses non-videos, empty selections and overlong clips with 400 and a message', async () => {
    const png = await picture(48, 40);
    for (const bytes of [png, Buffer.from('RIFF....WAVEfmt not a video at all')]) {
      const { status, body } = await postJob({ task: 'video segment', video: bytes.toString('base64') });
      assert.equal(status, 400);
      assert.match(String(body.error), /not a video/);
    }
    // The right first bytes but no decodable stream: ffprobe has the last word.
    const fake = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.alloc(200, 7)]);
    const broken = await postJob({ task: 'video separate', video: fake.toString('base64') });
    assert.equal(broken.status, 400);
    assert.match(String(broken.body.error), /not a readable video/);
    const small = (await clip(4)).toString('base64');
    const past = await postJob({ task: 'video segment', video: small, options: { frames: '10:20' } });
    assert.equal(past.status, 400);
    assert.match(String(past.body.error), /none from frame 10/);
    assert.equal((await postJob({ task: 'video segment', video: small, options: { frames: '3:1' } })).status, 400);
    assert.equal((await postJob({ task: 'video segment', video: small, options: { fps: -2 } })).status, 400);
    const hints = await postJob({ task: 'video segment', video: small, options: { hints: 'paint' } });
    assert.equal(hints.status, 400);
    assert.deepEqual([hints.body.error, hints.body.code], ['Expected one of each, first, none for "hints" but received "paint"', 'ERR_OPTION_CHOICE']);
    // An option of another video task.
    const airlight = await postJob({ task: 'video segment', video: small, options: { airlight: '200,200,200' } });
    assert.equal(airlight.status, 400);
    assert.match(String(airlight.body.error), /"airlight" does not apply to video segment: it applies to dehaze, video dehaze/);
    const long = await postJob({ task: 'video dehaze', video: (await clip(301, 16, 16, 100)).toString('base64') });
    assert.equal(long.status, 400);
    assert.match(String(long.body.error), /301 frames, more than the maximum of 300/);
    // Nothing was queued, and no upload is left behind.
    assert.ok(!((await api('/api/jobs')).body.jobs as JobInfo[]).some((j) => j.task.startsWith('video')));
    assert.deepEqual(await readdir(join(dataDir, 'uploads')), []);
  });

  test('writes a valid stored ZIP', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    const files = [{ name: 'a/x.txt', data: Buffer.from('hello') }, { name: 'y.bin', data: Buffer.from([0, 1, 2, 255]) }];
    const z = zip(files);
    assert.equal(z.readUInt32LE(z.length - 22), 0x06054b50);
    assert.equal(z.readUInt16LE(z.length - 12), 2);
    let off = 0;
    for (const f of files) {
      assert.equal(z.readUInt32LE(off), 0x04034b50);
      assert.equal(z.readUInt32LE(off + 14), zlibCrc32(f.data));
      const n = z.readUInt16LE(off + 26);
      assert.equal(z.subarray(off + 30, off + 30 + n).toString(), f.name);
      assert.deepEqual(z.subarray(off + 30 + n, off + 30 + n + f.data.length), f.data);
      off += 30 + n + f.data.length;
    }
    assert.equal(z.readUInt32LE(z.length - 6), off); // central directory offset
  });
});

describe('web page in a real browser', () => {
  let browser: Browser | undefined;
  after(async () => { await browser?.close(); });

  /** A fresh page (one browser for all tests); `errors` collects the page's uncaught errors. */
  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    if (!browser) {
      // The tests may run under tcmalloc (LD_PRELOAD): the browser must not inherit it.
      const env = { ...process.env } as Record<string, string>;
      delete env.LD_PRELOAD;
      browser = await chromium.launch({ executablePath: CHROMIUM, env,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'] });
    }
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(90_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The page's Content-Security-Policy must let it do all it does (data: and blob: images, its EventSource).
    page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text()); });
    return { page, errors };
  }

  const timer = () => {
    const t0 = Date.now();
    return (what: string) => { if (process.env.WEB_TEST_VERBOSE) process.stderr.write(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}\n`); };
  };

  test('upload, box, live previews, stop, download', async () => {
    const log = timer();
    const { page, errors } = await newPage();
    log('launched');
    await page.goto(srv.url);
    await page.waitForSelector('body[data-ready="1"]');
    await page.selectOption('#task', 'segment');

    const input = await picture(96, 72);
    await page.setInputFiles('#files', { name: 'square.png', mimeType: 'image/png', buffer: input });
    const canvas = page.locator('#canvas');
    await canvas.waitFor({ state: 'visible' });
    const r = (await canvas.boundingBox())!;
    await page.mouse.move(r.x + r.width * 0.2, r.y + r.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(r.x + r.width * 0.6, r.y + r.height * 0.5, { steps: 4 });
    await page.mouse.move(r.x + r.width * 0.8, r.y + r.height * 0.85, { steps: 4 });
    await page.mouse.up();
    const drawn = /Box x (\d+), y (\d+), (\d+)×(\d+) px/.exec(await page.textContent('#box-text') ?? '');
    assert.ok(drawn, 'a box was drawn');
    // The box's four fields follow the drawing.
    assert.deepEqual(await Promise.all(['x', 'y', 'width', 'height'].map((k) => page.inputValue(`#box-${k}`))), drawn.slice(1));

    await page.fill('#opt-size', '64');
    await page.fill('#opt-iterations', '100000');
    await page.fill('#preview-every', '2');
    log('form filled');
    await page.click('#start');

    // Live previews: the reconstruction appears, then changes.
    const recon = page.locator('#previews img[data-layer="reconstruction"]');
    await recon.waitFor({ timeout: 60_000 });
    log('first preview');
    const first = await recon.getAttribute('data-iteration');
    await page.waitForFunction((it) => {
      const img = document.querySelector('#previews img[data-layer="reconstruction"]') as HTMLImageElement | null;
      return img && img.dataset.iteration !== it && img.src.startsWith('data:image/png');
    }, first, { timeout: 60_000 });
    assert.ok(await page.locator('#previews img[data-layer="mask"]').count() === 1);
    assert.match(await page.textContent('#stats') ?? '', /Iteration \d+ \/ 100000/);
    assert.equal(await page.textContent('#job-state'), 'running');
    log('preview updated');
    await shot(page, 'web-running.png');

    // A forced click: the live page keeps re-laying out, so "stable" may take long on a busy machine.
    await page.locator('#stop').click({ force: true });
    const link = page.locator('#download-list a[data-file="mask.png"]');
    await link.waitFor({ timeout: 60_000 });
    log('stopped');
    assert.equal(await page.textContent('#job-state'), 'stopped');
    assert.ok(await page.locator('#stop').isHidden(), 'no stop button once stopped');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = await download.path();
    const meta = await sharp(await readFile(file)).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 96);
    assert.equal(meta.height, 72);
    // The other downloads are there too.
    for (const f of ['foreground.png', 'background.png', 'report.json']) assert.equal(await page.locator(`#download-list a[data-file="${f}"]`).count(), 1, f);
    const archiveHref = await page.getAttribute('#archive', 'href');
    const archive = Buffer.from(await (await fetch(new URL(archiveHref!, srv.url))).arrayBuffer());
    assert.equal(archive.readUInt32LE(0), 0x04034b50);
    await page.waitForFunction(() => (document.querySelector('#previews img[data-layer="mask"]') as HTMLImageElement | null)?.complete);
    await shot(page, 'web-result.png');
    assert.deepEqual(errors, []);

    const jobId = (await page.textContent('#job-title'))!.split('·')[1].trim();
    const report = JSON.parse(await readFile(join(dataDir, 'jobs', jobId, 'out', 'report.json'), 'utf8'));
    assert.equal(report.stopReason, 'aborted');
    assert.equal(report.hints, 'box');
  });

  test('dehaze with the dark channel prior: the method is a choice under More options; the result is listed at once', async () => {
    const { page, errors } = await newPage();
    await page.goto(srv.url);
    await page.waitForSelector('body[data-ready="1"]');
    await page.selectOption('#task', 'dehaze');
    // The form is the task's option fields: the simple ones at once, the rest under "More options".
    const fields = (await (await fetch(`${srv.url}api/tasks`)).json() as { tasks: { name: string; options: { name: string; image: boolean }[] }[] })
      .tasks.find((t) => t.name === 'dehaze')!.options.map((f) => f.name);
    assert.deepEqual(await page.locator('[data-option]').evaluateAll((es) => es.map((e) => (e as HTMLElement).dataset.option)), fields);
    assert.ok(await page.locator('#opt-method').isHidden(), 'More options starts closed');
    await page.click('#more summary');
    assert.deepEqual(await page.locator('#opt-method option').allTextContents(), ['default (double-dip)', 'double-dip', 'dcp']);
    assert.equal(await page.getAttribute('#opt-darkChannel', 'placeholder'), '0.05');
    await page.selectOption('#opt-method', 'dcp');
    await page.setInputFiles('#files', { name: 'hazy.png', mimeType: 'image/png', buffer: await picture(80, 60) });
    await page.click('#start');
    const link = page.locator('#download-list a[data-file="dehazed.png"]');
    await link.waitFor({ timeout: 60_000 });
    assert.equal(await page.textContent('#job-state'), 'done');
    for (const f of ['transmission.png', 'airlight.png', 'report.json']) assert.equal(await page.locator(`#download-list a[data-file="${f}"]`).count(), 1, f);
    const jobId = (await page.textContent('#job-title'))!.split('·')[1].trim();
    const report = JSON.parse(await readFile(join(dataDir, 'jobs', jobId, 'out', 'report.json'), 'utf8'));
    assert.equal(report.method, 'dcp');
    await shot(page, 'web-dehaze-dcp.png');
    assert.deepEqual(errors, []);
  });

  test('video: upload a clip, live previews, results played and downloaded as MP4s', async () => {
    const log = timer();
    const { page, errors } = await newPage();
    await page.goto(srv.url);
    await page.waitForSelector('body[data-ready="1"]');
    await page.selectOption('#task', 'video segment');
    assert.ok(await page.locator('#video-area').isVisible());
    await page.setInputFiles('#files', { name: 'clip.mp4', mimeType: 'video/mp4', buffer: await clip(4) });
    await page.locator('#thumbs video').waitFor();
    await page.fill('#frames', '0:4');
    await page.fill('#opt-size', '64');
    await page.fill('#opt-iterations', '8');
    await page.fill('#preview-every', '2');
    // A short job, run to its end: note every live preview of the mask before the results replace them.
    await page.evaluate(() => {
      const seen: string[] = [], captions: string[] = [];
      Object.assign(window, { seen, captions });
      new MutationObserver(() => {
        const img = document.querySelector('#previews img[data-layer="mask"]') as HTMLImageElement | null;
        if (img?.src.startsWith('data:image/png') && img.dataset.iteration && !seen.includes(img.dataset.iteration)) {
          seen.push(img.dataset.iteration);
          captions.push(document.querySelector('#preview-caption')!.textContent ?? '');
        }
      }).observe(document.querySelector('#previews')!, { subtree: true, childList: true, attributes: true });
    });
    await page.click('#start');
    const link = page.locator('#download-list a[data-file="mask.mp4"]');
    await link.waitFor({ timeout: 90_000 });
    log('video done');
    assert.equal(await page.textContent('#job-state'), 'done');
    const { seen, captions } = await page.evaluate(() => {
      const w = window as unknown as { seen: string[]; captions: string[] };
      return { seen: w.seen, captions: w.captions };
    });
    assert.ok(seen.length >= 2, `mask previews seen at iterations ${seen.join()}`);
    assert.ok(captions.every((c) => /^Live preview, iteration \d+: frame [1-4] /.test(c)), captions.join(' | '));
    assert.match(await page.textContent('#stats') ?? '', /Finished after 8 iterations/);
    for (const f of ['foreground.mp4', 'background.mp4', 'report.json']) assert.equal(await page.locator(`#download-list a[data-file="${f}"]`).count(), 1, f);
    assert.match(await page.textContent('#download-list') ?? '', /Frames \(4 per folder\): mask\/, foreground\/, background\/, in the ZIP/);
    // The outputs play on the page.
    await page.waitForFunction(() => {
      const v = document.querySelector('#previews video[data-layer="mask"]') as HTMLVideoElement | null;
      return v !== null && v.readyState >= 2 && v.videoWidth === 64 && v.videoHeight === 48;
    }, undefined, { timeout: 30_000 });
    await shot(page, 'web-video-result.png');

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const info = await probeVideo(await download.path());
    assert.deepEqual([info.frames, info.width, info.height], [4, 64, 48]);
    const jobId = (await page.textContent('#job-title'))!.split('·')[1].trim();
    // Byte ranges, for seeking in the player.
    const part = await fetch(`${srv.url}api/jobs/${jobId}/files/mask.mp4`, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.match(part.headers.get('content-range') ?? '', /^bytes 0-99\/\d+$/);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    const archive = Buffer.from(await (await fetch(`${srv.url}api/jobs/${jobId}/archive`)).arrayBuffer());
    for (const f of ['mask/00001.png', 'mask/00004.png', 'background/00004.png', 'mask.mp4', 'report.json'])
      assert.ok(archive.includes(`video-segment-${jobId}/${f}`), f);
    const report = JSON.parse(await readFile(join(dataDir, 'jobs', jobId, 'out', 'report.json'), 'utf8'));
    assert.equal(report.task, 'video-segment');
    assert.equal(report.iterations, 8);
    assert.equal(report.input.frames, 4);
    // The upload is gone once the job ended.
    assert.deepEqual((await readdir(join(dataDir, 'jobs', jobId))).sort(), ['done.json', 'history.json', 'job.json', 'out']);
    assert.deepEqual(errors, []);
  });

  test('video: a file that is not a video is refused with a message on the page', async () => {
    const { page, errors } = await newPage();
    await page.goto(srv.url);
    await page.waitForSelector('body[data-ready="1"]');
    await page.selectOption('#task', 'video dehaze');
    // The name says video; the content decides.
    await page.setInputFiles('#files', { name: 'holiday.mp4', mimeType: 'video/mp4', buffer: await picture(64, 48) });
    await page.click('#start');
    await page.locator('#form-error').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#form-error') ?? '', /not a video/);
    assert.equal((await api('/api/tasks')).status, 200);
    assert.deepEqual(errors, []);
  });
});

describe('restart', () => {
  test('finished jobs are listed again, unfinished ones marked failed', async () => {
    const before = (await api('/api/jobs')).body.jobs as JobInfo[];
    const finished = before.filter((j) => j.state === 'stopped' || j.state === 'done');
    await srv.close();
    // A job cut short: created, partly written, no done marker.
    const id = 'abcdefabcdef';
    await mkdir(join(dataDir, 'jobs', id, 'out.partial'), { recursive: true });
    await writeFile(join(dataDir, 'jobs', id, 'out.partial', 'mask.png'), 'half');
    await writeFile(join(dataDir, 'jobs', id, 'job.json'), JSON.stringify({ id, task: 'segment', state: 'running',
      createdAt: new Date().toISOString(), inputs: [], options: {}, files: [] }));
    srv = await startServer({ port: 0, dataDir });
    const jobs = (await api('/api/jobs')).body.jobs as JobInfo[];
    for (const f of finished) {
      const again = jobs.find((j) => j.id === f.id);
      assert.equal(again?.state, f.state);
      assert.deepEqual(again?.files, f.files);
      assert.equal((await rawGet(`/api/jobs/${f.id}/files/${encodeURIComponent(f.files[0])}`)).status, 200, f.files[0]);
    }
    const cut = jobs.find((j) => j.id === id);
    assert.equal(cut?.state, 'failed');
    assert.match(cut?.error ?? '', /restarted/);
    assert.equal((await rawGet(`/api/jobs/${id}/files/mask.png`)).status, 404);
    assert.equal((await rawGet(`/api/jobs/${id}/files/..%2Fjob.json`)).status, 404);
    assert.equal((await rawGet(`/api/jobs/${id}/files/../../../../etc/passwd`)).status, 404);
  });

  test('jobs waiting when the server stopped are queued again, in order, from their uploads on disk', async () => {
    const png = (await picture(48, 40)).toString('base64');
    const a = await postJob({ task: 'segment', images: [png], options: { size: 64, iterations: 100000 } });
    const b = await postJob({ task: 'segment', images: [png], options: { size: 64, iterations: 100000, seed: 7 } });
    const c = await postJob({ task: 'dehaze', images: [png], options: { method: 'dcp' } });
    const d = await postJob({ task: 'segment', images: [png], options: { size: 64, iterations: 1 } });
    assert.deepEqual([a.body.state, b.body.state, c.body.state, d.body.state], ['running', 'queued', 'queued', 'queued']);
    await srv.close(); // a stops with its best result; b, c and d wait on disk
    assert.deepEqual(await readdir(join(dataDir, 'jobs', String(b.body.id), 'in')), ['image-1.png']);
    // A waiting job's options are checked again when it is read back: d's were edited on disk.
    const dJson = join(dataDir, 'jobs', String(d.body.id), 'job.json');
    await writeFile(dJson, JSON.stringify({ ...JSON.parse(await readFile(dJson, 'utf8')), options: { size: 10, iterations: 1 } }));
    srv = await startServer({ port: 0, dataDir });
    const jobs = (await api('/api/jobs')).body.jobs as JobInfo[];
    const state = (id: unknown) => jobs.find((j) => j.id === id);
    assert.equal(state(a.body.id)?.state, 'stopped'); // the running job is not run again
    assert.equal(state(b.body.id)?.state, 'running');
    assert.equal(state(b.body.id)?.options.seed, 7);
    assert.equal(state(c.body.id)?.state, 'queued');
    assert.equal(state(c.body.id)?.queuePosition, 1);
    assert.equal(state(d.body.id)?.state, 'failed');
    assert.equal(state(d.body.id)?.error, 'Expected an integer from 64 to 2048 for "size" but received 10: start the job again with valid options.');
    await api(`/api/jobs/${b.body.id}/stop`, { method: 'POST' });
    assert.equal((await waitForJob(String(b.body.id), (j) => j.state !== 'running')).state, 'stopped');
    const done = await waitForJob(String(c.body.id), (j) => j.state !== 'queued' && j.state !== 'running');
    assert.equal(done.state, 'done', done.error);
    assert.ok(done.files.includes('dehazed.png'));
    assert.deepEqual((await readdir(join(dataDir, 'jobs', done.id))).sort(), ['done.json', 'history.json', 'input.png', 'job.json', 'out']);
  });
});
