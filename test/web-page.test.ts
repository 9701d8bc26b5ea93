// The web page for everyone, in a real browser (Chromium): the whole job by keyboard, a phone-wide
// screen with no sideways scroll, results beside the input (a before/after slider, a cut-out for
// segmentation), and a finished job's loss curve when it is opened again from the queue.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../src/web/server.js';
import type { JobInfo } from '../src/web/jobs.js';
import { picture } from './support/png.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots for people to look at: written only when DD_SCREENSHOTS names a folder. */
const SHOTS = process.env.DD_SCREENSHOTS;
async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  const png = await page.screenshot({ fullPage: true, timeout: 15_000 }).catch(() => undefined);
  // Small files for the repository: a 256-colour palette is plenty for a page.
  if (png) writeFileSync(join(SHOTS, name), await sharp(png).png({ palette: true, compressionLevel: 9 }).toBuffer());
}

let dataDir: string;
let srv: RunningServer;
let browser: Browser | undefined;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'double-dip-web-page-test-'));
  srv = await startServer({ port: 0, dataDir });
});
after(async () => {
  await browser?.close();
  await srv?.close();
  await rm(dataDir, { recursive: true, force: true });
});


async function api(path: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(srv.url + path.replace(/^\//, ''), init);
  return (await res.json()) as Record<string, unknown>;
}

/** A finished job, sent through the JSON API. */
async function finishedJob(task: string, options: Record<string, unknown>, width = 96, height = 72): Promise<JobInfo> {
  const sent = await api('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task, images: [(await picture(width, height)).toString('base64')], options }) });
  assert.ok(typeof sent.id === 'string', String(sent.error));
  for (;;) {
    const job = await api(`/api/jobs/${sent.id}`) as unknown as JobInfo;
    if (job.state !== 'queued' && job.state !== 'running') { assert.equal(job.state, 'done', job.error); return job; }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function newPage(width = 1280, height = 900): Promise<{ page: Page; errors: string[] }> {
  if (!browser) {
    // The tests may run under tcmalloc (LD_PRELOAD): the browser must not inherit it.
    const env = { ...process.env } as Record<string, string>;
    delete env.LD_PRELOAD;
    browser = await chromium.launch({ executablePath: CHROMIUM, env,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'] });
  }
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(90_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  await page.goto(srv.url);
  await page.waitForSelector('body[data-ready="1"]');
  return { page, errors };
}

/** Presses Tab until the focus is on `selector`: proof that the keyboard reaches it. */
async function tabTo(page: Page, selector: string, most = 60): Promise<void> {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  assert.fail(`${most} presses of Tab never reached ${selector} (the focus is on ${at})`);
}

const points = (page: Page) => page.evaluate(() => Number((document.querySelector('#loss-plot') as HTMLElement).dataset.points));
/** The elements that reach past the screen's right edge, for the message of a failure. */
const widest = (page: Page) => page.evaluate(() => Array.from(document.querySelectorAll('body *'))
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)
  .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 8).join(', '));
const scrollWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describe('web page for everyone', () => {
  test('the whole job by keyboard: choose a file, type the box, start, open it again from the queue', async () => {
    const { page, errors } = await newPage();
    await tabTo(page, '#task');
    assert.equal(await page.inputValue('#task'), 'segment');
    // The file chooser opens with Enter (the OS dialog is played by setFiles). Waiting starts before
    // the Tab presses: the browser intercepts the dialog only once asked to, which takes a moment.
    const chosen = page.waitForEvent('filechooser');
    await tabTo(page, '#choose');
    await page.keyboard.press('Enter');
    const chooser = await chosen;
    await chooser.setFiles({ name: 'square.png', mimeType: 'image/png', buffer: await picture(96, 72) });
    await page.locator('#canvas').waitFor({ state: 'visible' });
    // The box as four numbers, in image pixels; the drawing follows them.
    await tabTo(page, '#box-x');
    for (const [i, v] of ['20', '15', '50', '40'].entries()) {
      if (i > 0) await page.keyboard.press('Tab');
      await page.keyboard.type(v);
    }
    assert.equal(await page.textContent('#box-text'), 'Box x 20, y 15, 50×40 px');
    await tabTo(page, '#opt-size');
    await page.keyboard.type('64');
    await tabTo(page, '#opt-iterations');
    await page.keyboard.type('4');
    await tabTo(page, '#start');
    await page.keyboard.press('Enter');
    await page.locator('#job-state.done').waitFor({ timeout: 120_000 });
    const id = (await page.textContent('#job-title'))!.split('·')[1].trim();
    const job = await api(`/api/jobs/${id}`) as unknown as JobInfo;
    assert.deepEqual(job.options.box, { x: 20, y: 15, width: 50, height: 40 });
    assert.equal((await api(`/api/jobs/${id}/files/report.json`)).hints, 'box');

    // A fresh page: the job is opened from the queue with Enter.
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    await page.locator(`#queue tbody tr[data-id="${id}"]`).waitFor();
    assert.ok(await page.locator('#job-body').isHidden());
    await tabTo(page, `#queue tbody tr[data-id="${id}"]`);
    await page.keyboard.press('Enter');
    await page.locator('#job-state.done').waitFor();
    assert.match(await page.textContent('#job-title') ?? '', new RegExp(id));
    await page.waitForFunction(() => Number((document.querySelector('#loss-plot') as HTMLElement).dataset.points) >= 2);
    assert.deepEqual(errors, []);
  });

  test('a finished job opened again from the queue shows its loss curve, after a reload and after a restart', async () => {
    const job = await finishedJob('segment', { size: 64, iterations: 4 });
    const history = job.result!.iterations;
    for (const restart of [false, true]) {
      if (restart) {
        await srv.close();
        srv = await startServer({ port: 0, dataDir });
      }
      const { page, errors } = await newPage();
      await page.click(`#queue tbody tr[data-id="${job.id}"]`);
      await page.locator('#job-state.done').waitFor();
      await page.waitForFunction(() => Number((document.querySelector('#loss-plot') as HTMLElement).dataset.points) >= 2);
      assert.ok(await points(page) >= Math.min(history, 2), `restart ${restart}`);
      await page.context().close();
      assert.deepEqual(errors, []);
    }
  });

  test('no sideways scroll at 375 px: the form with every option open, and a finished job', async () => {
    const { page, errors } = await newPage(1280, 900);
    await page.setInputFiles('#files', { name: 'square.png', mimeType: 'image/png', buffer: await picture(96, 72) });
    await page.locator('#canvas').waitFor({ state: 'visible' });
    for (const [k, v] of [['x', '24'], ['y', '14'], ['width', '48'], ['height', '44']]) await page.fill(`#box-${k}`, v);
    assert.equal(await page.textContent('#box-text'), 'Box x 24, y 14, 48×44 px');
    await shot(page, 'web-form-1280.png');
    await page.context().close();

    const narrow = await newPage(375, 800);
    // The task with the most options, all of them shown.
    await narrow.page.selectOption('#task', 'dehaze');
    await narrow.page.click('#more summary');
    await narrow.page.locator('#opt-method').waitFor({ state: 'visible' });
    assert.ok(await scrollWidth(narrow.page) <= 375, `the form is ${await scrollWidth(narrow.page)} px wide: ${await widest(narrow.page)}`);
    // With a picture and its box fields (segment).
    await narrow.page.selectOption('#task', 'segment');
    await narrow.page.setInputFiles('#files', { name: 'square.png', mimeType: 'image/png', buffer: await picture(300, 200) });
    await narrow.page.locator('#canvas').waitFor({ state: 'visible' });
    assert.ok(await scrollWidth(narrow.page) <= 375, `the form with a picture is ${await scrollWidth(narrow.page)} px wide: ${await widest(narrow.page)}`);
    await narrow.page.selectOption('#task', 'dehaze');
    await shot(narrow.page, 'web-form-375.png');

    const job = await finishedJob('segment', { size: 64, iterations: 2 }, 300, 200);
    await narrow.page.reload();
    await narrow.page.waitForSelector('body[data-ready="1"]');
    await narrow.page.click(`#queue tbody tr[data-id="${job.id}"]`);
    await narrow.page.locator('#results').waitFor({ state: 'visible' });
    await narrow.page.locator('#cutout[data-ready="1"]').waitFor();
    assert.ok(await scrollWidth(narrow.page) <= 375, `the finished job is ${await scrollWidth(narrow.page)} px wide: ${await widest(narrow.page)}`);
    assert.deepEqual([...errors, ...narrow.errors], []);
  });

  test('results beside the input: a before/after slider moved by the keyboard, and the cut-out of a segmentation', async () => {
    const job = await finishedJob('segment', { size: 64, iterations: 2 });
    assert.equal(job.inputFile, 'input.png');
    const { page, errors } = await newPage();
    await page.click(`#queue tbody tr[data-id="${job.id}"]`);
    await page.locator('#results').waitFor({ state: 'visible' });
    // The input under the chosen output.
    assert.equal(await page.getAttribute('#compare-input', 'src'), `/api/jobs/${job.id}/input`);
    assert.equal(await page.inputValue('#compare-choice'), 'foreground.png');
    assert.equal(await page.getAttribute('#compare-output', 'src'), `/api/jobs/${job.id}/files/foreground.png`);
    const clip = () => page.evaluate(() => (document.querySelector('#compare-output') as HTMLElement).style.clipPath);
    assert.equal(await clip(), 'inset(0px 0px 0px 50%)');
    await page.focus('#compare-range');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await page.getAttribute('#compare', 'data-split'), '55');
    assert.equal(await clip(), 'inset(0px 0px 0px 55%)');
    await page.keyboard.press('Home');
    assert.equal(await clip(), 'inset(0px 0px 0px 0%)');
    await page.selectOption('#compare-choice', 'mask.png');
    assert.equal(await page.getAttribute('#compare-output', 'src'), `/api/jobs/${job.id}/files/mask.png`);
    await page.focus('#compare-range');
    await page.keyboard.press('End');
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft');

    // The cut-out: the input where the mask is white, transparent (the checkerboard) where it is black.
    await page.locator('#cutout[data-ready="1"]').waitFor();
    const canvas = await page.evaluate(() => {
      const c = document.querySelector('#cutout') as HTMLCanvasElement;
      return { width: c.width, height: c.height, data: [...c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data] };
    });
    assert.deepEqual([canvas.width, canvas.height], [96, 72]);
    const mask = (await sharp(Buffer.from(await (await fetch(`${srv.url}api/jobs/${job.id}/files/mask.png`)).arrayBuffer()))
      .extractChannel(0).raw().toBuffer({ resolveWithObject: true }));
    const input = await sharp(await picture(96, 72)).raw().toBuffer();
    assert.deepEqual([mask.info.width, mask.info.height], [96, 72]);
    let opaque = 0;
    for (let i = 0; i < 96 * 72; i++) {
      assert.equal(canvas.data[i * 4 + 3], mask.data[i], `alpha of pixel ${i}`);
      if (mask.data[i] === 255) {
        opaque++;
        assert.deepEqual(canvas.data.slice(i * 4, i * 4 + 3), [...input.subarray(i * 3, i * 3 + 3)], `colour of pixel ${i}`);
      }
    }
    assert.ok(await page.locator('#cutout').evaluate((c) => getComputedStyle(c).backgroundImage.includes('conic-gradient')), 'a checkerboard behind it');
    await shot(page, 'web-segment-result.png');
    if (process.env.WEB_TEST_VERBOSE) process.stderr.write(`  cut-out: ${opaque} opaque pixels of ${96 * 72}\n`);
    assert.deepEqual(errors, []);
  });
});
