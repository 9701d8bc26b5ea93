// The local web app: a single page plus a small JSON API over node:http (no framework).
//
//   GET  /api/tasks                   the registry's tasks (name, summary, about, inputs, outputs, options:
//                                     optionFields), and the upload limits
//   GET  /api/jobs                    all jobs, oldest first (state, queue position, progress)
//   POST /api/jobs                    {task, images: [base64...], options: {NAME: text or JSON value, ..., hint: base64}}
//                                     -> 202 job; a video task ('video segment', ...) takes {task, video: base64,
//                                     options: {frames: 'A:B', fps, NAME: ...}}. A refused option: 400 {error, code, option}
//                                     Or multipart/form-data (curl -F task=segment -F images=@a.png -F iterations=500):
//                                     fields task, options (JSON) and/or one per option; files images, video, hint
//   GET  /api/jobs/:id                one job
//   GET  /api/jobs/:id/events         Server-Sent Events: state, progress, preview, history
//   POST /api/jobs/:id/stop           stop (keeps the best result so far) or cancel if queued
//   GET  /api/jobs/:id/files/:name    an output the job produced (PNG, MP4 or report.json; a frame as mask%2F00001.png)
//   GET  /api/jobs/:id/archive        all outputs as one ZIP
//   GET  /api/jobs/:id/input          an image job's first input, shown beside its results
//
// Every request must name this server in its Host header (localhost, 127.0.0.1, [::1], the --host
// given, --allowed-host names): a page elsewhere cannot reach it through DNS rebinding. No
// response may be framed by another site.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { isIPv6, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_IMAGE_MEGAPIXELS, MIN_IMAGE_SIDE, probeImageBuffer, readImageBuffer, type ImageHeader } from '../io/image-file.js';
import { FINAL_STATES, JobQueue, QueueFullError, type JobEvent, type Slot } from './jobs.js';
import { RedisJobQueue } from './queue-jobs.js';
import { MAX_FRAMES, MAX_SIZE, MIN_SIZE, OptionError, fieldName } from '../tasks/options.js';
import { TASKS, taskEntry, type TaskEntry } from '../tasks/registry.js';
import { readJobOptions, readSelection } from './options.js';
import { checkRegion, webTasks, type RegionCheck } from './tasks.js';
import { checkUpload, probeUpload, videoContainer } from './video.js';
import { UploadError, isMultipart, readMultipart, type Multipart, type UploadedFile } from './multipart.js';
import { zip } from './zip.js';

export interface ServerOptions {
  port: number;
  host?: string;
  dataDir: string;
  /** Largest request body, in bytes (default 40 MB). */
  maxBodyBytes?: number;
  /** More names the Host header may give (besides localhost, 127.0.0.1, [::1] and `host`): "name" or "name:port". */
  allowedHosts?: string[];
  /** Jobs that may wait in the queue besides the running one (default 20). */
  maxQueued?: number;
  /** redis://HOST:PORT[/DB]: jobs go to this Redis queue, run by `double-dip worker` processes (queue-jobs.ts); default: here, one at a time. */
  queue?: string;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  jobs: JobQueue | RedisJobQueue;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 40 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED = 20;
/** The page loads only its own files; images and clips picked by the user are shown from data: and blob: URLs. */
const PAGE_CSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
  "form-action 'self'; frame-ancestors 'none'";
const OTHER_CSP = "default-src 'none'; frame-ancestors 'none'";
const LIMITS = { size: [MIN_SIZE, MAX_SIZE] } as const;

/** An upload: its bytes, and its path when it is on disk already (a multipart file in the uploads folder). */
interface Upload { data: Buffer; path?: string }

class HttpError extends Error {
  /** `details`: more fields of the JSON answer (a refused option's code and name). */
  constructor(readonly status: number, message: string, readonly details: Record<string, unknown> = {}) { super(message); }
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

/** An input image's type by the extension it was stored under (its format as sharp names it). */
const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpeg': 'image/jpeg', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif', '.avif': 'image/avif',
  '.heif': 'image/heif', '.tiff': 'image/tiff',
};

/** The page's files, read once: only these names are ever served from the static folder. */
async function loadStatic(): Promise<Map<string, { type: string; body: Buffer }>> {
  const dir = fileURLToPath(new URL('./static/', import.meta.url));
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const type = STATIC_TYPES[extname(name)];
    if (type) files.set(name, { type, body: await readFile(dir + name) });
  }
  return files;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const jobs = o.queue ? new RedisJobQueue(o.dataDir, o.queue, o.maxQueued ?? DEFAULT_MAX_QUEUED) : new JobQueue(o.dataDir, o.maxQueued ?? DEFAULT_MAX_QUEUED);
  // Uploads wait here while they are checked, then move into their job's folder.
  const uploads = join(o.dataDir, 'uploads');
  let statics = new Map<string, { type: string; body: Buffer }>();
  const streams = new Set<ServerResponse>();
  // The data folder is set up once the address is taken (a bad --host writes nothing); requests wait for it.
  let setUp = () => {};
  const ready = new Promise<void>((resolve) => { setUp = resolve; });

  // Checking a hint mask decodes it: one at a time, so parallel uploads cannot add up.
  let decoding: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(f: () => Promise<T>): Promise<T> => {
    const run = decoding.then(f, f);
    decoding = run.catch(() => {});
    return run;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await ready;
    checkHost(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    let path: string[];
    try {
      path = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'Malformed URL');
    }
    if (method === 'POST') checkOrigin(req);

    if (path[0] !== 'api') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method not allowed');
      const name = path.length === 0 ? 'index.html' : path.length === 1 ? path[0] : '';
      const file = statics.get(name);
      if (!file) throw new HttpError(404, `No page ${url.pathname}`);
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache',
        'content-security-policy': PAGE_CSP });
      res.end(method === 'HEAD' ? undefined : file.body);
      return;
    }

    const [, resource, id, action, name, ...rest] = path;
    if (resource === 'tasks' && path.length === 2) {
      allow(method, 'GET');
      return sendJson(res, 200, {
        tasks: webTasks(),
        limits: { maxBodyBytes: maxBody, minImageSide: MIN_IMAGE_SIDE, maxImageMegapixels: MAX_IMAGE_MEGAPIXELS, size: LIMITS.size, maxFrames: MAX_FRAMES },
      });
    }
    if (resource !== 'jobs' || rest.length > 0) throw new HttpError(404, `No API route ${url.pathname}`);
    if (id === undefined) {
      if (method === 'GET') return sendJson(res, 200, { jobs: jobs.list() });
      allow(method, 'POST');
      if (isMultipart(req)) {
        const form = await readMultipart(req, maxBody, uploads).catch((e: unknown) => {
          throw e instanceof UploadError ? new HttpError(e.status, e.message) : e;
        });
        try {
          return sendJson(res, 202, await createFormJob(form));
        } finally {
          await Promise.all(form.files.map((f) => rm(f.path, { force: true })));
        }
      }
      const body = await readBody(req, maxBody);
      const info = await createJob(body);
      return sendJson(res, 202, info);
    }
    const job = jobs.get(id);
    if (!job) throw new HttpError(404, `No job "${id}"`);
    if (action === undefined) { allow(method, 'GET'); return sendJson(res, 200, job); }
    if (action === 'stop' && name === undefined) { allow(method, 'POST'); return sendJson(res, 200, await jobs.stop(id)); }
    if (action === 'events' && name === undefined) { allow(method, 'GET'); return events(req, res, id); }
    if (action === 'files' && name !== undefined) {
      allow(method, 'GET');
      const file = jobs.filePath(id, name);
      if (!file) throw new HttpError(404, `Job ${id} has no output "${name}"`);
      const body = await readFile(file);
      const type = name.endsWith('.png') ? 'image/png' : name.endsWith('.mp4') ? 'video/mp4' : 'application/json; charset=utf-8';
      const headers = {
        'content-type': type, 'accept-ranges': 'bytes',
        'content-disposition': `inline; filename="${name.replaceAll('/', '-')}"`, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache',
      };
      // A <video> element seeks with byte ranges; one range is all it asks for.
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      if (range && (range[1] !== '' || range[2] !== '')) {
        const start = range[1] === '' ? Math.max(0, body.length - Number(range[2])) : Number(range[1]);
        const end = range[1] === '' || range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
        if (start > end || start >= body.length) {
          res.writeHead(416, { 'content-range': `bytes */${body.length}` });
          res.end();
          return;
        }
        res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.length}` });
        res.end(body.subarray(start, end + 1));
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(body);
      return;
    }
    if (action === 'input' && name === undefined) {
      allow(method, 'GET');
      const file = jobs.inputPath(id);
      if (!file) throw new HttpError(404, `Job ${id} keeps no input image${job.task.startsWith('video') ? ' (a video job)' : ''}`);
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': IMAGE_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length,
        'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
      res.end(body);
      return;
    }
    if (action === 'archive' && name === undefined) {
      allow(method, 'GET');
      if (job.files.length === 0) throw new HttpError(404, `Job ${id} has no outputs${FINAL_STATES.has(job.state) ? '' : ' yet'}`);
      // "video segment" -> video-segment-ID: no spaces in a download's name.
      const stem = `${job.task.replaceAll(' ', '-')}-${id}`;
      const entries = [];
      for (const f of job.files) entries.push({ name: `${stem}/${f}`, data: await readFile(jobs.filePath(id, f)!) });
      const body = zip(entries);
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length,
        'content-disposition': `attachment; filename="${stem}.zip"` });
      res.end(body);
      return;
    }
    throw new HttpError(404, `No API route ${url.pathname}`);
  };

  /** A JSON job request: {task, images: [base64...] | video: base64, options}. */
  async function createJob(body: Buffer): Promise<unknown> {
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new HttpError(400, `The request body is not valid JSON (${(e as Error).message})`);
    }
    if (!req || typeof req !== 'object' || Array.isArray(req)) throw new HttpError(400, 'Send a JSON object {task, images, options}');
    const task = taskOf(req.task);
    const raw = optionsOf(req.options ?? {});
    if (task.inputs.kind === 'video') {
      if (typeof req.video !== 'string') throw new HttpError(400, `${task.name} takes one video, sent as a base64 string in "video"`);
      return checked(() => createVideoJob(task, { data: fromBase64(req.video as string) }, raw));
    }
    const { min, max } = task.inputs;
    const sent = req.images;
    if (!Array.isArray(sent) || sent.length < min || sent.length > max || sent.some((s) => typeof s !== 'string'))
      throw new HttpError(400, `${task.name} takes ${min === max ? min : `${min} to ${max}`} image(s), sent as base64 strings in "images"`);
    return checked(() => createImageJob(task, (sent as string[]).map((s) => ({ data: fromBase64(s) })), raw));
  }

  /**
   * A multipart/form-data job request (curl -F): "task", "options" as JSON text and/or each option
   * as a field of its own ("iterations=500"); files "images" (one part per image), "video", "hint".
   * The files are on disk already (readMultipart); those not kept by a job are removed by the caller.
   */
  async function createFormJob({ fields, files }: Multipart): Promise<unknown> {
    const task = taskOf(fields.task);
    let raw: Record<string, unknown> = {};
    if (fields.options !== undefined) {
      try {
        raw = optionsOf(JSON.parse(fields.options));
      } catch (e) {
        if (e instanceof HttpError) throw e;
        throw new HttpError(400, `The "options" field is not valid JSON (${(e as Error).message}): send {"iterations": 500, ...}, or each option as a field of its own`);
      }
    }
    for (const [name, value] of Object.entries(fields)) if (name !== 'task' && name !== 'options') raw[name] = value;
    const unknown = files.find((f) => !['images', 'video', 'hint'].includes(f.field));
    if (unknown) throw new HttpError(400, `Unknown file field "${unknown.field}": send images as "images", a video as "video", a hint mask as "hint"`);
    const read = async (f: UploadedFile): Promise<Upload> => ({ data: await readFile(f.path), path: f.path });
    const images = files.filter((f) => f.field === 'images');
    const hint = files.find((f) => f.field === 'hint');
    const video = files.filter((f) => f.field === 'video');
    if (task.inputs.kind === 'video') {
      if (video.length !== 1 || images.length > 0) throw new HttpError(400, `${task.name} takes one video, sent as a file in the field "video"`);
      // Only its first bytes are needed here: ffprobe reads the file.
      return checked(async () => createVideoJob(task, { data: await firstBytes(video[0].path, 1024), path: video[0].path }, raw));
    }
    const { min, max } = task.inputs;
    if (images.length < min || images.length > max || video.length > 0)
      throw new HttpError(400, `${task.name} takes ${min === max ? min : `${min} to ${max}`} image(s), sent as files in the field "images"`);
    // A hint mask sent as a file is checked as an option by its name, like one sent as text.
    if (hint) raw.hint = `(the file sent as "hint")`;
    return checked(async () => createImageJob(task, await Promise.all(images.map(read)), raw, hint && await read(hint)));
  }

  function taskOf(name: unknown): TaskEntry {
    const task = typeof name === 'string' ? taskEntry(name) : undefined;
    if (!task) throw new HttpError(400, `Unknown task ${JSON.stringify(name)}: choose one of ${Object.keys(TASKS).join(', ')}`);
    return task;
  }

  function optionsOf(raw: unknown): Record<string, unknown> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new HttpError(400, '"options" must be an object of options by name, e.g. {"iterations": 500}');
    return raw as Record<string, unknown>;
  }

  /** A refused option as 400 with its code and name; a full queue as 503. */
  async function checked<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof OptionError) throw new HttpError(400, e.format(fieldName), { code: e.code, option: e.option });
      if (e instanceof QueueFullError) throw new HttpError(503, e.message);
      throw e;
    }
  }

  /**
   * Checks an image job: its options by the task's schema (as text or JSON values), its images by
   * their headers (decoded only when the job starts), a box and hint mask by the task's rules. The
   * uploads wait on disk, not in memory. `hintFile`: a hint mask sent as a file (else one in the options).
   */
  async function createImageJob(task: TaskEntry, sent: Upload[], raw: Record<string, unknown>, hintFile?: Upload): Promise<unknown> {
    const { options, hint: hintText } = readJobOptions(task, raw, sent.length);
    const slot = takeSlot();
    const staged: string[] = [];
    try {
      const headers: ImageHeader[] = [];
      for (const [i, up] of sent.entries()) headers.push(await probe(up.data, sent.length > 1 ? `image ${i + 1}` : 'the image'));
      const [first] = headers;
      for (const [i, img] of headers.entries()) {
        if (img.width !== first.width || img.height !== first.height)
          throw new HttpError(400, `All images must have the same size: image 1 is ${first.width}x${first.height}, image ${i + 1} is ${img.width}x${img.height}`);
      }
      const hintUp = hintFile ?? (hintText !== undefined ? { data: fromBase64(hintText) } : undefined);
      let hint: ImageHeader | undefined;
      if (hintUp) {
        hint = await probe(hintUp.data, 'the hint mask');
        if (hint.width !== first.width || hint.height !== first.height)
          throw new HttpError(400, `The hint mask is ${hint.width}x${hint.height} but the image is ${first.width}x${first.height}: ` +
            'draw the hint at the image\'s size.');
      }
      const check: RegionCheck = { count: headers.length, width: first.width, height: first.height, size: options.size as number | undefined,
        box: options.box as RegionCheck['box'] };
      if (hintUp && hint) {
        const [buf, bands] = [hintUp.data, hint.channels];
        await oneAtATime(async () => regionCheck(task, { ...check, hint: await readImageBuffer(buf, 'the hint mask', { channels: bands }) }));
      } else {
        regionCheck(task, check);
      }
      // Into the uploads folder, named by format (a file sent as multipart is there already: renamed, not copied).
      const stage = async (up: Upload, h: ImageHeader) => {
        const path = join(uploads, `${randomBytes(8).toString('hex')}.${h.format}`);
        staged.push(path);
        await (up.path ? rename(up.path, path) : writeFile(path, up.data));
        return path;
      };
      const images: string[] = [];
      for (const [i, up] of sent.entries()) images.push(await stage(up, headers[i]));
      const hintPath = hintUp && hint ? await stage(hintUp, hint) : undefined;
      return await jobs.add({ task: task.name, options, uploads: { images, hint: hintPath },
        inputs: headers.map(({ width, height }) => ({ width, height })) }, slot);
    } finally {
      slot.release();
      await Promise.all(staged.map((p) => rm(p, { force: true })));
    }
  }

  /** A place in the queue, taken synchronously (the cap holds under parallel requests); 503 when full. */
  function takeSlot(): Slot {
    try {
      return jobs.reserve();
    } catch (e) {
      if (e instanceof QueueFullError) throw new HttpError(503, e.message);
      throw e;
    }
  }

  /**
   * A video job: the clip is checked by its first bytes (`data` holds at least those), then by
   * ffprobe (a video stream, frame size, frame count).
   */
  async function createVideoJob(task: TaskEntry, clip: Upload, raw: Record<string, unknown>): Promise<unknown> {
    const { options } = readJobOptions(task, raw, undefined);
    const selection = readSelection(raw);
    // A queued job names its frames of the clip as it is (queue/job.ts): no resampling on the way.
    if (o.queue && selection.fps !== undefined)
      throw new HttpError(400, `fps is not available on a server with --queue (its workers take the clip's own frame rate): leave fps out, or resample the clip before uploading it.`);
    if (clip.data.length === 0) throw new HttpError(400, 'The video is empty');
    if (!videoContainer(clip.data))
      throw new HttpError(400, 'The file is not a video: upload an MP4, WebM, MOV, MKV, AVI, FLV, Ogg or MPEG clip.');
    const slot = takeSlot();
    const path = join(uploads, randomBytes(8).toString('hex'));
    try {
      await (clip.path ? rename(clip.path, path) : writeFile(path, clip.data));
      const info = await probeUpload(path);
      checkUpload(info, selection);
      if (o.queue) selection.end = Math.min(selection.end ?? info.frames, info.frames);
      return await jobs.add({ task: task.name, options, video: selection, uploads: { images: [], video: path },
        inputs: [{ width: info.width, height: info.height }] }, slot);
    } catch (e) {
      if (e instanceof QueueFullError || e instanceof HttpError) throw e;
      throw new HttpError(400, (e as Error).message);
    } finally {
      slot.release();
      await rm(path, { force: true });
    }
  }

  function events(req: IncomingMessage, res: ServerResponse, id: string): void {
    req.socket.setTimeout(0);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const send = (e: JobEvent) => { res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`); };
    const unsubscribe = jobs.subscribe(id, send);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    streams.add(res);
    const end = () => { clearInterval(beat); unsubscribe?.(); streams.delete(res); };
    res.on('close', end);
  }

  // Names this server answers to (as in a Host header: IPv6 in brackets), and "name:port" pairs.
  const wildcard = host === '0.0.0.0' || host === '::';
  const names = new Set(['localhost', '127.0.0.1', '[::1]', ...(wildcard ? [] : [hostName(host)])]);
  const pairs = new Set<string>();
  for (const h of o.allowedHosts ?? []) {
    const a = parseHost(h);
    if (!a) throw new Error(`Cannot allow host "${h}": give a host name or address, optionally with a port (e.g. example.lan or example.lan:8080).`);
    if (a.port === undefined) names.add(a.name);
    else pairs.add(`${a.name}:${a.port}`);
  }
  const known = (value: string): boolean => {
    const h = parseHost(value);
    if (!h) return false;
    const { name, port: p } = h;
    if (p !== undefined && pairs.has(`${name}:${p}`)) return true;
    if (p !== undefined && p !== port) return false;
    // Bound to every address: this machine's addresses, as they are now.
    return names.has(name) || (wildcard && Object.values(networkInterfaces()).flat().some((a) => a && hostName(a.address) === name));
  };

  /** The Host header must name this server: a page on another site reaching it by DNS rebinding sends its own name. */
  function checkHost(req: IncomingMessage): void {
    const value = req.headers.host;
    if (value === undefined || value === '')
      throw new HttpError(400, `The request has no Host header, which HTTP/1.1 requires: send "Host: 127.0.0.1:${port}".`);
    if (!known(value))
      throw new HttpError(403, `The Host header "${value}" is not a name of this server (a guard against DNS rebinding): ` +
        `open ${url} instead, or restart the server with --allowed-host ${parseHost(value)?.name ?? 'NAME'} to allow that name.`);
  }

  /** Refuses state-changing requests sent by other web sites (the page and the API share one origin). */
  function checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let originHost: string;
    try { originHost = new URL(origin).host; } catch { throw new HttpError(403, `Bad Origin header ${JSON.stringify(origin)}: send requests from this server's page, ${url}`); }
    if (!known(originHost) || originHost !== (req.headers.host ?? '').toLowerCase())
      throw new HttpError(403, `Requests from ${origin} are not allowed: send them from this server's page, ${url}`);
  }

  // The Host header is checked by checkHost, which answers in JSON.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', OTHER_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (status === 500) process.stderr.write(`double-dip serve: ${req.method} ${req.url}: ${message}\n`);
      if (res.headersSent) { res.destroy(); return; }
      sendJson(res, status, { error: message, ...(e instanceof HttpError ? e.details : {}) });
    });
  });
  // Jobs train in a child process (jobs.ts), so this loop stays free; idle connections are still
  // kept long, so that clients reusing a kept-alive connection never race its close (ECONNRESET).
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  let port = 0, url = '';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => { server.off('error', reject); resolve(); });
  });
  port = (server.address() as AddressInfo).port;
  url = `http://${wildcard ? '127.0.0.1' : hostName(host)}:${port}/`;
  try {
    await prepareDataDir(o.dataDir);
    await jobs.open();
    await rm(uploads, { recursive: true, force: true });
    await mkdir(uploads, { recursive: true });
    statics = await loadStatic();
  } catch (e) {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
    throw e;
  }
  setUp();
  return {
    server, port, jobs, url,
    async close() {
      for (const r of streams) r.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await jobs.close();
      await closed;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache' });
  res.end(text);
}

function allow(method: string, wanted: string): void {
  if (method !== wanted) throw new HttpError(405, `Use ${wanted} here`);
}

/** Reads a request body of at most `limit` bytes; 413 beyond. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => new HttpError(413, `The request is too large: at most ${Math.floor(limit / 1024 / 1024)} MB. Send smaller images.`);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = Number.isFinite(declared) && declared > limit;
  // The rest of an oversized body is read and dropped (up to a bound), so the client sees the 413.
  const drainLimit = Math.max(limit * 8, 256 * 1024 * 1024);
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) over = true;
    if (over) {
      if (size > drainLimit) { req.destroy(); break; }
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk as Buffer);
  }
  if (over) throw tooLarge();
  return Buffer.concat(chunks);
}

/** The first `n` bytes of a file (fewer if it is shorter). */
async function firstBytes(path: string, n: number): Promise<Buffer> {
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(n), 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** A base64 string, or a data: URL. */
function fromBase64(s: string): Buffer {
  const comma = s.startsWith('data:') ? s.indexOf(',') : -1;
  return Buffer.from(comma >= 0 ? s.slice(comma + 1) : s, 'base64');
}

/** An uploaded image's header: format and size checked, nothing decoded. */
async function probe(buf: Buffer, name: string): Promise<ImageHeader> {
  try {
    return await probeImageBuffer(buf, name);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

/** The task's own checks of a box or hint mask; their messages go to the page (an OptionError with its code). */
function regionCheck(task: TaskEntry, h: RegionCheck): void {
  try {
    checkRegion(task.name, h);
  } catch (e) {
    if (e instanceof OptionError) throw e;
    throw new HttpError(400, (e as Error).message);
  }
}

/**
 * A Host header (or an --allowed-host): a name or IPv4 address, or an IPv6 address in brackets,
 * then maybe a port. Undefined if it is none of these.
 */
export function parseHost(value: string): { name: string; port?: number } | undefined {
  const v = value.trim().toLowerCase();
  const m = /^([a-z0-9._~%!$&'()*+,;=-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/.exec(isIPv6(v) ? `[${v}]` : v);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return undefined;
  return { name: m[1], ...(m[2] === undefined ? {} : { port: Number(m[2]) }) };
}

/** An address as a Host header gives it (IPv6 in brackets, lower case, no zone). */
function hostName(address: string): string {
  const a = address.toLowerCase().replace(/%.*$/, '');
  return a.includes(':') ? `[${a}]` : a;
}

/**
 * Creates the data folder one level at a time (a recursive mkdir under /proc never returns)
 * and checks that it takes files: a bad --data fails at start, in one sentence.
 */
async function prepareDataDir(dir: string): Promise<void> {
  const fail = (why: string) => new Error(`Cannot keep jobs in "${dir}": ${why}. Pass a writable folder with --data DIR (it is created if missing).`);
  const reason = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'the filesystem is read-only'
      : code === 'ENOSPC' ? 'the disk is full' : code ?? (e as Error).message;
  };
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = (await stat(at)).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(at) !== at) { missing.unshift(at); at = dirname(at); continue; }
      throw fail(`cannot look at "${at}" (${reason(e)})`);
    }
    if (!isDir) throw fail(at === resolve(dir) ? 'it is a file, not a folder' : `"${at}" is a file, not a folder`);
    break;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT with the parent there: a pseudo-filesystem such as /proc, which takes no folders.
      if (code !== 'EEXIST') throw fail(`cannot create "${d}" (${code === 'ENOENT' ? 'this filesystem takes no folders' : reason(e)})`);
    }
  }
  const probeFile = join(dir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probeFile, '');
  } catch (e) {
    throw fail(`cannot write in it (${reason(e)})`);
  }
  await rm(probeFile, { force: true });
}
