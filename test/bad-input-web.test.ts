// Bad input to the web server, through real HTTP on 127.0.0.1: each case is a request and the
// status and message it must get. Then the queue cap under parallel requests, and `double-dip
// serve` refusing a bad --host or --data in one sentence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { startServer, type RunningServer } from '../src/web/server.js';
import type { JobInfo } from '../src/web/jobs.js';

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

/** One request, its headers exactly as given: `host: null` sends none. */
function send(port: number, method: string, path: string, headers: Record<string, string | null>, body?: Buffer): Promise<Reply> {
  const { host, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, setHost: false, agent: false,
      headers: { ...(host === null ? {} : { host: host ?? `127.0.0.1:${port}` }), ...rest as Record<string, string>,
        ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A 48x40 picture (a square on a gradient), or one colour at any size, as PNG bytes. */
async function picture(width = 48, height = 40): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
const plain = (width: number, height: number, colour: string) =>
  sharp({ create: { width, height, channels: 3, background: colour }, limitInputPixels: false }).png().toBuffer();
/** Left half black, right half white. */
async function halves(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) data.fill(255, y * width + width / 2, (y + 1) * width);
  return sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer();
}
const b64 = (b: Buffer) => b.toString('base64');

interface Case {
  name: string;
  method?: string;
  /** A path, or one made from the finished job's id. */
  path: string | ((id: string) => string);
  /** Host and Origin as PORT-relative templates: "evil.example:PORT". */
  headers?: Record<string, string | null>;
  body?: () => unknown;
  raw?: () => Buffer;
  status: number;
  error?: RegExp;
  /** A refused option: the answer's `code` and `option` (its library name). */
  code?: string;
  option?: string;
  check?: (r: Reply) => void;
}

const frameHeaders = (r: Reply) => {
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
};

describe('web server: bad requests', () => {
  let dataDir: string;
  let srv: RunningServer;
  let doneJob: string;
  const img: Record<string, Buffer> = {};

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'double-dip-bad-web-'));
    srv = await startServer({ port: 0, dataDir, allowedHosts: ['dd.example'], maxBodyBytes: 2 * 1024 * 1024 });
    img.png = await picture();
    img.other = await picture(40, 40);
    img.black = await plain(48, 40, '#000000');
    img.white = await plain(48, 40, '#ffffff');
    img.tiny = await plain(8, 8, '#808080');
    img.huge = await plain(9000, 9000, '#808080');
    img.halves = await halves(48, 40);
    // A finished job, for its files and archive: the dark channel prior is done in one step.
    const r = await send(srv.port, 'POST', '/api/jobs', {}, Buffer.from(JSON.stringify({ task: 'dehaze', images: [b64(img.png)], options: { method: 'dcp' } })));
    assert.equal(r.status, 202, r.body);
    doneJob = JSON.parse(r.body).id;
    for (let i = 0; ; i++) {
      const job = JSON.parse((await send(srv.port, 'GET', `/api/jobs/${doneJob}`, {})).body) as JobInfo;
      if (job.state === 'done') break;
      assert.ok(i < 300 && (job.state === 'queued' || job.state === 'running'), `${job.state}: ${job.error}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await srv?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A job request made when the case runs (the images exist by then). */
  type Options = Record<string, unknown> | (() => Record<string, unknown>);
  const job = (o: Options = {}, task = 'segment', images = () => [b64(img.png)]) =>
    () => ({ task, images: images(), options: { size: task === 'separate' ? 128 : 64, iterations: 1, ...(typeof o === 'function' ? o() : o) } });
  const evil = { host: 'evil.example:PORT', origin: 'http://evil.example:PORT' };
  const rebinding = /Host header "evil\.example:\d+" is not a name of this server .*--allowed-host evil\.example/;

  const cases: Case[] = [
    // DNS rebinding: another site's name in Host, with a matching Origin.
    { name: 'POST /api/jobs from another host name', method: 'POST', path: '/api/jobs', headers: evil, body: job(), status: 403, error: rebinding },
    { name: 'GET /api/jobs from another host name', path: '/api/jobs', headers: evil, status: 403, error: rebinding },
    { name: 'GET a job file from another host name', path: (id) => `/api/jobs/${id}/files/dehazed.png`, headers: evil, status: 403, error: rebinding },
    { name: 'GET an archive from another host name', path: (id) => `/api/jobs/${id}/archive`, headers: evil, status: 403, error: rebinding },
    { name: 'GET the page from another host name', path: '/', headers: evil, status: 403, error: rebinding, check: frameHeaders },
    { name: 'GET events from another host name', path: (id) => `/api/jobs/${id}/events`, headers: evil, status: 403, error: rebinding },
    { name: 'POST stop from another host name', method: 'POST', path: (id) => `/api/jobs/${id}/stop`, headers: { host: 'evil.example' }, status: 403,
      error: /not a name of this server/ },
    { name: 'localhost on another port', path: '/api/tasks', headers: { host: 'localhost:1' }, status: 403, error: /"localhost:1" is not a name/ },
    { name: 'a host name that only looks like localhost', path: '/api/tasks', headers: { host: 'localhost.evil.example:PORT' }, status: 403,
      error: /not a name of this server/ },
    { name: 'no Host header', path: '/api/tasks', headers: { host: null }, status: 400, error: /no Host header, which HTTP\/1\.1 requires: send "Host: 127\.0\.0\.1:\d+"/ },
    { name: 'an empty Host header', path: '/', headers: { host: '' }, status: 400, error: /no Host header/ },
    { name: 'POST with an Origin of another site', method: 'POST', path: '/api/jobs', headers: { origin: 'http://evil.example:PORT' }, body: job(),
      status: 403, error: /Requests from http:\/\/evil\.example:\d+ are not allowed: send them from this server's page/ },
    { name: 'POST with an Origin of another port', method: 'POST', path: '/api/jobs', headers: { origin: 'http://127.0.0.1:1' }, body: job(),
      status: 403, error: /not allowed/ },
    { name: 'POST with Origin null (a sandboxed frame or a file)', method: 'POST', path: '/api/jobs', headers: { origin: 'null' }, body: job(),
      status: 403, error: /Bad Origin header "null"/ },
    // The names allowed.
    { name: 'localhost without a port is allowed', path: '/api/tasks', headers: { host: 'localhost' }, status: 200 },
    { name: '[::1] with the port is allowed', path: '/api/tasks', headers: { host: '[::1]:PORT' }, status: 200 },
    { name: 'a name added with allowedHosts is allowed', path: '/api/jobs', headers: { host: 'DD.example:PORT' }, status: 200 },
    { name: 'POST from an added name reaches the checks', method: 'POST', path: '/api/jobs',
      headers: { host: 'dd.example:PORT', origin: 'http://dd.example:PORT' }, body: () => ({ task: 'paint' }), status: 400, error: /Unknown task "paint"/ },
    // No framing by other sites, no sniffing, on every response.
    { name: 'the page: frame headers and its CSP', path: '/', status: 200, check: (r) => {
      frameHeaders(r);
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:/);
    } },
    { name: 'the API: frame headers', path: '/api/tasks', status: 200, check: frameHeaders },
    { name: 'a job file: frame headers', path: (id) => `/api/jobs/${id}/files/dehazed.png`, status: 200, check: frameHeaders },
    { name: 'an error: frame headers', path: '/api/jobs/0123456789ab', status: 404, error: /No job/, check: frameHeaders },
    // Boxes and hint masks, checked when the job is sent.
    { name: 'a hint mask of another size', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(img.other) })), status: 400,
      error: /The hint mask is 40x40 but the image is 48x40: draw the hint at the image's size/ },
    { name: 'an all-black hint mask (segment)', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(img.black) })), status: 400,
      error: /needs both white \(foreground\) and black \(background\) pixels; it has 0 white and 1920 black/ },
    { name: 'an all-white hint mask (segment)', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(img.white) })), status: 400,
      error: /it has 1920 white and 0 black/ },
    { name: 'a hint mask with no white (watermark)', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(img.black) }), 'watermark'), status: 400,
      error: /no white pixels: paint the watermark region white/ },
    { name: 'a hint mask white everywhere (watermark)', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(img.white) }), 'watermark'), status: 400,
      error: /white everywhere/ },
    { name: 'a hint mask that is not an image', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(Buffer.from('not a mask at all')) })), status: 400,
      error: /Cannot read image "the hint mask": not a readable image/ },
    { name: 'a hint mask for a task without hints', method: 'POST', path: '/api/jobs', body: job(() => ({ hint: b64(img.halves) }), 'dehaze'), status: 400,
      error: /^"hint" does not apply to dehaze: it applies to segment, watermark$/, code: 'ERR_OPTION_CONFLICT', option: 'hint' },
    { name: 'a box for a task without boxes', method: 'POST', path: '/api/jobs', body: job({ box: { x: 1, y: 1, width: 9, height: 9 } }, 'separate'), status: 400,
      error: /^"box" does not apply to separate: it applies to segment, watermark$/, code: 'ERR_OPTION_CONFLICT', option: 'box' },
    { name: 'a box and a hint mask together', method: 'POST', path: '/api/jobs',
      body: job(() => ({ box: { x: 4, y: 4, width: 20, height: 20 }, hint: b64(img.halves) })), status: 400, error: /^Give either "hint" or "box", not both$/,
      code: 'ERR_OPTION_CONFLICT' },
    { name: 'a box outside the image', method: 'POST', path: '/api/jobs', body: job({ box: { x: 40, y: 0, width: 20, height: 10 } }), status: 400,
      error: /lies outside the 48x40 image/ },
    { name: 'a box with no area', method: 'POST', path: '/api/jobs', body: job({ box: { x: 4, y: 4, width: 0, height: 10 } }), status: 400,
      error: /^Expected a box x, y, width, height in whole pixels with x, y >= 0 and width, height >= 1 for "box" but received 4,4,0,10$/,
      code: 'ERR_OPTION_RANGE', option: 'box' },
    { name: 'a box that is not numbers', method: 'POST', path: '/api/jobs', body: job({ box: { x: 'a', y: 0, width: 5, height: 5 } }), status: 400,
      error: /^Expected a box .* for "box" but received \{x: "a", y: 0, width: 5, height: 5\}$/, code: 'ERR_OPTION_TYPE' },
    { name: 'a box as text that is not X,Y,W,H', method: 'POST', path: '/api/jobs', body: job({ box: '1,2,3' }), status: 400,
      error: /^Expected X,Y,W,H \(four integers, pixels\) for "box" but received "1,2,3"$/, code: 'ERR_OPTION_TYPE' },
    { name: 'watermark on one image without a region', method: 'POST', path: '/api/jobs', body: job({}, 'watermark'), status: 400,
      error: /^One image needs the watermark region: give "box" or "hint" \(or several images sharing the mark\)$/, code: 'ERR_OPTION_MISSING' },
    { name: 'watermark on two images with a box', method: 'POST', path: '/api/jobs',
      body: job({ box: { x: 4, y: 4, width: 10, height: 10 } }, 'watermark', () => [b64(img.png), b64(img.png)]), status: 400, error: /applies to one image/,
      code: 'ERR_OPTION_CONFLICT' },
    { name: 'a hint mask that is not a string', method: 'POST', path: '/api/jobs', body: job({ hint: 5 }), status: 400,
      error: /^Expected an image as a base64 string or data: URL for "hint" but received 5$/, code: 'ERR_OPTION_TYPE' },
    // Every option of a task, by the task's schema, with the library's words and the JSON field's name.
    { name: 'iterations 0', method: 'POST', path: '/api/jobs', body: job({ iterations: 0 }), status: 400,
      error: /^Expected an integer from 1 to 1000000 for "iterations" but received 0$/, code: 'ERR_OPTION_RANGE', option: 'iterations' },
    { name: 'iterations as text that is no number', method: 'POST', path: '/api/jobs', body: job({ iterations: 'abc' }), status: 400,
      error: /^Expected an integer from 1 to 1000000 for "iterations" but received "abc"$/, code: 'ERR_OPTION_TYPE' },
    { name: 'watermark runs 0', method: 'POST', path: '/api/jobs', body: job({ runs: 0 }, 'watermark'), status: 400,
      error: /^Expected an integer from 1 to 9 for "runs" but received 0$/, code: 'ERR_OPTION_RANGE', option: 'runs' },
    { name: 'watermark runs "0" as form text', method: 'POST', path: '/api/jobs', body: job({ runs: '0' }, 'watermark'), status: 400,
      error: /^Expected an integer from 1 to 9 for "runs" but received 0$/, code: 'ERR_OPTION_RANGE' },
    { name: 'dehaze darkChannel -1', method: 'POST', path: '/api/jobs', body: job({ darkChannel: -1 }, 'dehaze'), status: 400,
      error: /^Expected a number from 0 to 1000 for "darkChannel" but received -1$/, code: 'ERR_OPTION_RANGE', option: 'darkChannel' },
    { name: 'dehaze darkChannel with method dcp', method: 'POST', path: '/api/jobs', body: job({ method: 'dcp', darkChannel: '0.1' }, 'dehaze'), status: 400,
      error: /^"darkChannel" applies to "method" double-dip only$/, code: 'ERR_OPTION_CONFLICT' },
    { name: 'dehaze airlight "0,0,0"', method: 'POST', path: '/api/jobs', body: job({ airlight: '0,0,0' }, 'dehaze'), status: 400,
      error: /^Expected R,G,B with each from 1 to 255 for "airlight" but received "0,0,0"$/, code: 'ERR_OPTION_RANGE' },
    { name: 'watermark markColour "pink"', method: 'POST', path: '/api/jobs', body: job({ markColour: 'pink', box: '4,4,10,10' }, 'watermark'), status: 400,
      error: /^Expected white, learn or R,G,B with each from 0 to 255 for "markColour" but received "pink"$/, code: 'ERR_OPTION_TYPE', option: 'markColour' },
    { name: 'watermark markColour [2, 0, 0]', method: 'POST', path: '/api/jobs', body: job({ markColour: [2, 0, 0], box: '4,4,10,10' }, 'watermark'), status: 400,
      error: /^Expected 'learn' or \[r, g, b\] with each from 0 to 1 for "markColour" but received \[2, 0, 0\]$/, code: 'ERR_OPTION_RANGE' },
    { name: 'device "gpu"', method: 'POST', path: '/api/jobs', body: job({ device: 'gpu' }), status: 400,
      error: /^Expected cpu, cuda or cuda:N for "device" but received "gpu"$/, code: 'ERR_OPTION_CHOICE', option: 'device' },
    { name: 'threads 0', method: 'POST', path: '/api/jobs', body: job({ threads: '0' }), status: 400,
      error: /^Expected an integer from 1 to \d+ for "threads" but received 0$/, code: 'ERR_OPTION_RANGE' },
    { name: 'growHints "maybe"', method: 'POST', path: '/api/jobs', body: job({ growHints: 'maybe' }), status: 400,
      error: /^Expected yes or no for "growHints" but received "maybe"$/, code: 'ERR_OPTION_CHOICE' },
    { name: 'separate model on two images', method: 'POST', path: '/api/jobs', body: job({ model: 'sum' }, 'separate', () => [b64(img.png), b64(img.png)]),
      status: 400, error: /^"model" applies to one image; two images always use the two-mixture model$/, code: 'ERR_OPTION_CONFLICT' },
    { name: 'an unknown option', method: 'POST', path: '/api/jobs', body: job({ colour: 'red' }), status: 400,
      error: /^Unknown option "colour" for segment: it takes "iterations", "maxSeconds", /, code: 'ERR_OPTION_UNKNOWN', option: 'colour' },
    { name: 'frames for an image task', method: 'POST', path: '/api/jobs', body: job({ frames: '0:4' }), status: 400,
      error: /^Unknown option "frames" for segment/, code: 'ERR_OPTION_UNKNOWN' },
    { name: 'an option only a program gives', method: 'POST', path: '/api/jobs', body: job({ onProgress: 'alert(1)' }), status: 400,
      error: /^"onProgress" is set by the server, not by a request: leave it out$/, code: 'ERR_OPTION_UNKNOWN' },
    // The request itself.
    { name: 'malformed JSON', method: 'POST', path: '/api/jobs', raw: () => Buffer.from('{"task": '), status: 400, error: /not valid JSON/ },
    { name: 'a JSON array', method: 'POST', path: '/api/jobs', raw: () => Buffer.from('[1, 2]'), status: 400, error: /Send a JSON object \{task, images, options\}/ },
    { name: 'an unknown task', method: 'POST', path: '/api/jobs', body: job({}, 'rm -rf'), status: 400, error: /Unknown task "rm -rf": choose one of segment/ },
    { name: 'two images for segment', method: 'POST', path: '/api/jobs', body: job({}, 'segment', () => [b64(img.png), b64(img.png)]), status: 400,
      error: /segment takes 1 image\(s\)/ },
    { name: 'no images', method: 'POST', path: '/api/jobs', body: () => ({ task: 'dehaze' }), status: 400, error: /dehaze takes 1 image\(s\)/ },
    { name: 'images of two sizes', method: 'POST', path: '/api/jobs', body: job({}, 'separate', () => [b64(img.png), b64(img.other)]), status: 400,
      error: /All images must have the same size: image 1 is 48x40, image 2 is 40x40/ },
    { name: 'random bytes as the image', method: 'POST', path: '/api/jobs', body: job({}, 'segment', () => [b64(Buffer.from([...Array(500).keys()].map((i) => (i * 7919) % 256)))]),
      status: 400, error: /Cannot read image "the image": not a readable image .* Pass a PNG, JPEG, WebP, TIFF or GIF image/ },
    { name: 'an empty image', method: 'POST', path: '/api/jobs', body: job({}, 'segment', () => ['']), status: 400, error: /file is empty/ },
    { name: 'an image too small', method: 'POST', path: '/api/jobs', body: job({}, 'segment', () => [b64(img.tiny)]), status: 400,
      error: /it is 8x8 pixels, too small/ },
    { name: 'a 9000x9000 image, refused by its header', method: 'POST', path: '/api/jobs', body: job({}, 'segment', () => [b64(img.huge)]), status: 400,
      error: /it is 9000x9000 \(81\.0 megapixels\), too large. Downscale it to at most 50 megapixels first/ },
    { name: 'a body over the limit', method: 'POST', path: '/api/jobs', raw: () => Buffer.alloc(3 * 1024 * 1024, 'A'), status: 413,
      error: /The request is too large: at most 2 MB/ },
    { name: 'options that are not an object', method: 'POST', path: '/api/jobs', body: () => ({ task: 'segment', images: [b64(img.png)], options: [1] }),
      status: 400, error: /"options" must be an object/ },
    // Video.
    { name: 'a PNG sent as the video', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video segment', video: b64(img.png) }), status: 400,
      error: /The file is not a video: upload an MP4/ },
    { name: 'no video', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video segment', images: [b64(img.png)] }), status: 400,
      error: /video segment takes one video, sent as a base64 string in "video"/ },
    { name: 'the old single video task', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video', video: 'AAAA' }), status: 400,
      error: /Unknown task "video": choose one of .*video segment, video separate, video dehaze/ },
    { name: 'frames ending before they start', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video segment', video: 'AAAA', options: { frames: '3:1' } }),
      status: 400, error: /^"frames" 3:1: the end \(1\) must be after the start \(3\)$/, code: 'ERR_OPTION_RANGE', option: 'frames' },
    { name: 'frames that are not A:B', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video segment', video: 'AAAA', options: { frames: 'all' } }),
      status: 400, error: /^Expected A:B \(frames A to B-1, e\.g\. 0:100\) for "frames" but received "all"$/, code: 'ERR_OPTION_TYPE' },
    { name: 'fps that is no number', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video dehaze', video: 'AAAA', options: { fps: 'fast' } }),
      status: 400, error: /^Expected a frame rate above 0 and at most 240 for "fps" but received "fast"$/, code: 'ERR_OPTION_TYPE', option: 'fps' },
    { name: 'video batch 0', method: 'POST', path: '/api/jobs', body: () => ({ task: 'video separate', video: 'AAAA', options: { batch: 0 } }),
      status: 400, error: /^Expected an integer from 1 to 300 for "batch" but received 0$/, code: 'ERR_OPTION_RANGE', option: 'batch' },
    // Routes and methods.
    { name: 'an unknown API route', path: '/api/nothing', status: 404, error: /No API route \/api\/nothing/ },
    { name: 'an unknown page', path: '/nope.js', status: 404, error: /No page \/nope\.js/ },
    { name: 'DELETE /api/jobs', method: 'DELETE', path: '/api/jobs', status: 405, error: /Use POST here/ },
    { name: 'GET a stop', path: (id) => `/api/jobs/${id}/stop`, status: 405, error: /Use POST here/ },
    { name: 'PUT the page', method: 'PUT', path: '/', status: 405, error: /Method not allowed/ },
  ];

  for (const c of cases) {
    test(`${c.name}: ${c.status}`, async () => {
      const port = String(srv.port);
      const headers = Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k, v === null ? null : v.replace('PORT', port)]));
      const path = typeof c.path === 'function' ? c.path(doneJob) : c.path;
      const body = c.raw ? c.raw() : c.body ? Buffer.from(JSON.stringify(c.body())) : undefined;
      const r = await send(srv.port, c.method ?? 'GET', path, headers, body);
      assert.equal(r.status, c.status, r.body.slice(0, 300));
      if (c.error) {
        assert.match(String(r.headers['content-type']), /application\/json/);
        assert.match(String(JSON.parse(r.body).error), c.error);
      }
      if (c.code) assert.equal(JSON.parse(r.body).code, c.code);
      if (c.option) assert.equal(JSON.parse(r.body).option, c.option);
      c.check?.(r);
    });
  }

  test('nothing refused was queued, and no upload is left behind', async () => {
    const { jobs } = JSON.parse((await send(srv.port, 'GET', '/api/jobs', {})).body) as { jobs: JobInfo[] };
    assert.deepEqual(jobs.map((j) => j.id), [doneJob]);
    assert.deepEqual(await readdir(join(dataDir, 'uploads')), []);
    assert.deepEqual((await readdir(join(dataDir, 'jobs'))).sort(), [doneJob]);
  });
});

describe('web server: the queue cap holds under parallel requests', () => {
  test('40 parallel jobs with a cap of 5: at most 5 queued and 1 running, the rest 503', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'double-dip-web-cap-'));
    const srv = await startServer({ port: 0, dataDir, maxQueued: 5 });
    try {
      const png = b64(await picture());
      const body = Buffer.from(JSON.stringify({ task: 'segment', images: [png], options: { size: 64, iterations: 100000 } }));
      const replies = await Promise.all(Array.from({ length: 40 }, () => send(srv.port, 'POST', '/api/jobs', {}, body)));
      const accepted = replies.filter((r) => r.status === 202);
      const full = replies.filter((r) => r.status === 503);
      assert.equal(accepted.length + full.length, 40, replies.map((r) => `${r.status} ${r.body.slice(0, 80)}`).join('\n'));
      assert.ok(accepted.length >= 1 && accepted.length <= 6, `${accepted.length} accepted`);
      for (const r of full) assert.match(JSON.parse(r.body).error, /The queue is full \(5 jobs waiting\): wait for some to finish/);
      const { jobs } = JSON.parse((await send(srv.port, 'GET', '/api/jobs', {})).body) as { jobs: JobInfo[] };
      assert.equal(jobs.length, accepted.length);
      assert.ok(jobs.filter((j) => j.state === 'running').length <= 1);
      assert.ok(jobs.filter((j) => j.state === 'queued').length <= 5);
      // Cancelling frees the places.
      for (const j of jobs.filter((j) => j.state === 'queued')) await send(srv.port, 'POST', `/api/jobs/${j.id}/stop`, {});
      assert.equal((await send(srv.port, 'POST', '/api/jobs', {}, body)).status, 202);
    } finally {
      await srv.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('double-dip serve: bad --host, --data, --port, --allowed-host', () => {
  const cli = join(process.cwd(), 'bin', 'double-dip.mjs');
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'double-dip-serve-cli-'));
    await writeFile(join(dir, 'a-file'), 'x');
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  /** Runs `double-dip serve ARGS`; a server that starts would run until the timeout (a failure). */
  async function serve(args: string[]): Promise<{ code: number; stderr: string }> {
    try {
      await promisify(execFile)(process.execPath, [cli, 'serve', '--port', '0', ...args], { timeout: 30_000 });
      return { code: 0, stderr: '' };
    } catch (e) {
      const err = e as { code?: number; stderr?: string; killed?: boolean };
      assert.ok(!err.killed, 'the server started instead of refusing');
      return { code: err.code ?? -1, stderr: err.stderr ?? '' };
    }
  }

  const data = () => join(dir, 'data');
  const cases: { name: string; args: () => string[]; code: number; error: RegExp }[] = [
    { name: 'an address this machine does not have', args: () => ['--host', '10.255.255.1', '--data', data()], code: 1,
      error: /Cannot listen on 10\.255\.255\.1: this machine has no such address\. Use --host 127\.0\.0\.1/ },
    { name: 'a host name that does not resolve', args: () => ['--host', 'no-such-host.invalid', '--data', data()], code: 1,
      error: /Cannot listen on "no-such-host\.invalid": no such host name here\. Use --host with one of this machine's addresses/ },
    { name: '--data naming a file', args: () => ['--data', join(dir, 'a-file')], code: 1,
      error: /Cannot keep jobs in ".*a-file": it is a file, not a folder\. Pass a writable folder with --data DIR/ },
    { name: '--data below a file', args: () => ['--data', join(dir, 'a-file', 'jobs')], code: 1, error: /".*a-file" is a file, not a folder/ },
    { name: '--data on /proc (no folder can be made there)', args: () => ['--data', '/proc/double-dip-data'], code: 1,
      error: /cannot create "\/proc\/double-dip-data" .*Pass a writable folder with --data DIR/ },
    { name: '--port out of range', args: () => ['--port', '70000', '--data', data()], code: 2, error: /Expected an integer from 0 to 65535 for --port/ },
    { name: '--allowed-host given as a URL', args: () => ['--allowed-host', 'http://example.lan/', '--data', data()], code: 2,
      error: /Expected a host name or address for --allowed-host \(e\.g\. example\.lan or example\.lan:8080\), got "http:\/\/example\.lan\/"/ },
  ];
  for (const c of cases) {
    test(`${c.name}: exit ${c.code}`, async () => {
      const r = await serve(c.args());
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.error);
      assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
      assert.ok(!existsSync(data()), 'nothing written');
    });
  }
});
