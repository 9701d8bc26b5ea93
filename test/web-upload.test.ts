// Uploads as multipart/form-data (curl -F, the page's form): files streamed to disk while they
// arrive, options as fields or as JSON, the same limits and the same refusals as a JSON request.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { startServer, type RunningServer } from '../src/web/server.js';
import type { JobInfo } from '../src/web/jobs.js';

const LIMIT = 2 * 1024 * 1024;
let dataDir: string;
let srv: RunningServer;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'double-dip-web-upload-test-'));
  srv = await startServer({ port: 0, dataDir, maxBodyBytes: LIMIT });
});
after(async () => {
  await srv?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const picture = (width = 48, height = 40, colour = '#3a6') => sharp({ create: { width, height, channels: 3, background: colour } })
  .composite([{ input: { create: { width: 16, height: 14, channels: 3, background: '#fd2' } }, left: 16, top: 12 }]).png().toBuffer();
/** Left half black, right half white: a hint mask. */
const halves = (width: number, height: number) => {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) data.fill(255, y * width + width / 2, (y + 1) * width);
  return sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer();
};

/** A form as fields and files (name -> bytes), sent with fetch's own multipart encoding. */
async function postForm(fields: Record<string, string>, files: [string, Buffer, string][] = []): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const [field, data, name] of files) form.append(field, new Blob([new Uint8Array(data)]), name);
  const res = await fetch(`${srv.url}api/jobs`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function waitFor(id: string): Promise<JobInfo> {
  for (let i = 0; ; i++) {
    const job = (await (await fetch(`${srv.url}api/jobs/${id}`)).json()) as JobInfo;
    if (job.state !== 'queued' && job.state !== 'running') return job;
    assert.ok(i < 1200, `job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const uploadsLeft = () => readdir(join(dataDir, 'uploads'));

describe('multipart uploads', () => {
  test('curl -F: an image and options as fields; the job runs with them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'double-dip-curl-'));
    try {
      await writeFile(join(dir, 'square.png'), await picture(64, 48));
      const { stdout } = await promisify(execFile)('curl', ['-sS', '-F', 'task=segment', '-F', 'images=@square.png', '-F', 'size=64',
        '-F', 'iterations=2', '-F', 'box=8,6,40,30', '-w', '\n%{http_code}', `${srv.url}api/jobs`], { cwd: dir });
      const [body, code] = stdout.split('\n');
      assert.equal(code, '202', body);
      const sent = JSON.parse(body) as JobInfo;
      assert.deepEqual([sent.options.size, sent.options.iterations, sent.options.box], [64, 2, { x: 8, y: 6, width: 40, height: 30 }]);
      assert.deepEqual(sent.inputs, [{ width: 64, height: 48 }]);
      const job = await waitFor(sent.id);
      assert.equal(job.state, 'done', job.error);
      assert.ok(job.files.includes('mask.png'));
      // The input is kept beside the results, as sent.
      const input = await fetch(`${srv.url}api/jobs/${job.id}/input`);
      assert.equal(input.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await input.arrayBuffer()), await picture(64, 48));
      assert.deepEqual(await uploadsLeft(), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('options as one JSON field, a hint mask as a file, two images for separate', async () => {
    const hinted = await postForm({ task: 'segment', options: JSON.stringify({ size: 64, iterations: 1 }) },
      [['images', await picture(), 'a.png'], ['hint', await halves(48, 40), 'hint.png']]);
    assert.equal(hinted.status, 202, String(hinted.body.error));
    const job = await waitFor(String(hinted.body.id));
    assert.equal(job.state, 'done', job.error);
    assert.equal(((await (await fetch(`${srv.url}api/jobs/${job.id}/files/report.json`)).json()) as { hints: string }).hints, 'mask');
    const two = await postForm({ task: 'separate', options: JSON.stringify({ size: 128, iterations: 1 }) },
      [['images', await picture(), 'a.png'], ['images', await picture(48, 40, '#a36'), 'b.png']]);
    assert.equal(two.status, 202, String(two.body.error));
    assert.equal((two.body.inputs as unknown[]).length, 2);
    assert.equal((await waitFor(String(two.body.id))).state, 'done');
    assert.deepEqual(await uploadsLeft(), []);
  });

  test('a file is written to disk while it is still arriving', async () => {
    const boundary = 'double-dip-test-boundary';
    const image = await picture(400, 300);
    const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="task"\r\n\r\nsegment\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="size"\r\n\r\n64\r\n--${boundary}\r\ncontent-disposition: form-data; name="iterations"\r\n\r\n1\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="images"; filename="big.png"\r\ncontent-type: image/png\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const half = Math.floor(image.length / 2);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: srv.port, path: '/api/jobs', method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + image.length + tail.length } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(Buffer.concat([head, image.subarray(0, half)]));
      // The first half is on disk before the second is sent.
      void (async () => {
        for (let i = 0; ; i++) {
          const names = await uploadsLeft();
          const sizes = await Promise.all(names.map(async (n) => (await stat(join(dataDir, 'uploads', n))).size));
          if (sizes.some((s) => s >= half)) break;
          if (i > 600) { req.destroy(new Error(`the upload's first half never reached the disk: ${names.join()} ${sizes.join()}`)); return; }
          await new Promise((r) => setTimeout(r, 50));
        }
        req.end(Buffer.concat([image.subarray(half), tail]));
      })();
    });
    const { status, body } = await answer;
    assert.equal(status, 202, body);
    assert.deepEqual((JSON.parse(body) as JobInfo).inputs, [{ width: 400, height: 300 }]);
    assert.equal((await waitFor(JSON.parse(body).id)).state, 'done');
  });

  // Refusals: the status, the sentence, and nothing left in the uploads folder.
  const cases: { name: string; send: () => Promise<{ status: number; body: Record<string, unknown> }>; status: number; error: RegExp }[] = [
    { name: 'an unknown task', send: async () => postForm({ task: 'paint' }, [['images', await picture(), 'a.png']]), status: 400,
      error: /Unknown task "paint": choose one of segment, /u },
    { name: 'no image', send: () => postForm({ task: 'segment' }), status: 400, error: /segment takes 1 image\(s\), sent as files in the field "images"/ },
    { name: 'a file in an unknown field', send: async () => postForm({ task: 'segment' }, [['picture', await picture(), 'a.png']]), status: 400,
      error: /Unknown file field "picture": send images as "images", a video as "video", a hint mask as "hint"/ },
    { name: 'options that are not JSON', send: async () => postForm({ task: 'segment', options: '{size: 64' }, [['images', await picture(), 'a.png']]),
      status: 400, error: /The "options" field is not valid JSON .*: send \{"iterations": 500, \.\.\.\}, or each option as a field of its own/ },
    { name: 'an option field with a bad value', send: async () => postForm({ task: 'segment', iterations: 'many' }, [['images', await picture(), 'a.png']]),
      status: 400, error: /"iterations"/ },
    { name: 'a hint mask file for a task without hints', send: async () => postForm({ task: 'dehaze' },
      [['images', await picture(), 'a.png'], ['hint', await halves(48, 40), 'h.png']]), status: 400, error: /"hint" does not apply to dehaze/ },
    { name: 'a file that is not an image', send: () => postForm({ task: 'segment' }, [['images', Buffer.from('not a picture at all'), 'a.png']]),
      status: 400, error: /not a readable image/ },
    { name: 'a video for an image task', send: async () => postForm({ task: 'segment' }, [['video', await picture(), 'a.mp4']]), status: 400,
      error: /segment takes 1 image\(s\), sent as files in the field "images"/ },
    { name: 'an image for a video task', send: async () => postForm({ task: 'video segment' }, [['video', await picture(), 'a.mp4']]), status: 400,
      error: /The file is not a video: upload an MP4/ },
    { name: 'a body over the limit', send: () => postForm({ task: 'segment' }, [['images', Buffer.alloc(LIMIT + 1000, 7), 'big.png']]), status: 413,
      error: /The request is too large: at most 2 MB/ },
    { name: 'multipart without a boundary', send: async () => {
      const res = await fetch(`${srv.url}api/jobs`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'task=segment' });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }, status: 400, error: /Cannot read the multipart request .*send it as curl -F does/ },
  ];
  for (const c of cases) {
    test(`multipart: ${c.name}: ${c.status}`, async () => {
      const before = ((await (await fetch(`${srv.url}api/jobs`)).json()) as { jobs: unknown[] }).jobs.length;
      const { status, body } = await c.send();
      assert.equal(status, c.status, JSON.stringify(body));
      assert.match(String(body.error), c.error);
      assert.deepEqual(await uploadsLeft(), [], 'no upload left behind');
      assert.equal(((await (await fetch(`${srv.url}api/jobs`)).json()) as { jobs: unknown[] }).jobs.length, before, 'no job queued');
    });
  }
});
