// Video in and out through the ffmpeg and ffprobe commands.
//
// Frames travel as PNG files on disk, never as a whole clip in memory: a minute of 1080p is
// gigabytes of float pixels. Reading gives a sorted list of frame paths; writing takes one.
// ffmpeg is always run with an argument array (no shell), so odd file names are safe.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { removeStale, undoOnExit } from './exit-cleanup.js';
import { MAX_IMAGE_MEGAPIXELS, MIN_IMAGE_SIDE, readImage } from './image-file.js';
import type { FrameSource } from '../core/result.js';
import { InputError } from '../core/errors.js';

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  frames: number;
}

export interface ReadFramesOptions {
  /** First frame index to keep (inclusive, default 0), counted after fps resampling. */
  start?: number;
  /** Frame index to stop before (exclusive, default: the end). */
  end?: number;
  /** Resample a video to this frame rate. For a folder of frames it only sets the fps reported. */
  fps?: number;
}

export interface Frames {
  frames: string[]; // PNG (or, for a folder, the folder's image) paths in order
  fps: number;
  width: number;
  height: number;
  /** Temp folder holding decoded frames; the caller removes it with removeFrames() (else it goes at exit). Absent for folders. */
  tmpDir?: string;
}

// Temporary folders carry the owner's pid, so that what a killed run left can be told from what
// a running one uses (removeStale).
const FRAMES_PREFIX = 'double-dip-frames-';
const ENCODE_PREFIX = 'double-dip-encode-';
const forgetTmp = new Map<string, () => void>();

/** Synchronous, so that no signal handler runs between making the folder and registering its removal. */
function makeTmpDir(prefix: string): string {
  removeStale(tmpdir(), prefix);
  const dir = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  forgetTmp.set(dir, undoOnExit(() => rmSync(dir, { recursive: true, force: true })));
  return dir;
}

async function removeTmpDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  forgetTmp.get(dir)?.();
  forgetTmp.delete(dir);
}

/** Removes the decoded frames of a video (readFrames' temp folder); nothing for a folder of frames. */
export async function removeFrames(frames: Frames): Promise<void> {
  if (frames.tmpDir) await removeTmpDir(frames.tmpDir);
}

/**
 * Refuses a frame size the tasks cannot take, from the probed size, before any frame is decoded.
 * `what` names the video in the message, e.g. '"clip.mp4"'.
 */
export function checkFrameSize(info: { width: number; height: number }, what: string): void {
  const { width, height } = info;
  if (Math.min(width, height) < MIN_IMAGE_SIDE)
    throw new InputError('ERR_VIDEO_FILE', `${what} is ${width}x${height}, too small: frames must be at least ${MIN_IMAGE_SIDE}x${MIN_IMAGE_SIDE} pixels.`);
  if (width * height > MAX_IMAGE_MEGAPIXELS * 1e6)
    throw new InputError('ERR_VIDEO_FILE', `${what} is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels per frame), more than the ` +
      `${MAX_IMAGE_MEGAPIXELS} megapixels per frame taken: scale it down first (e.g. ffmpeg -i IN -vf scale=1920:-2 OUT.mp4).`);
}

/** Frame rate assumed for a folder of frames, which carries no timing. */
export const DEFAULT_FOLDER_FPS = 30;

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif']);

/** Size, frame rate and frame count of a video's first video stream. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  await requireFile(path);
  const { stdout } = await run('ffprobe', [
    '-v', 'error',
    '-select_streams', 'v:0',
    '-count_packets', // exact frame count even when the container has none
    '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,nb_read_packets',
    '-of', 'json',
    path,
  ], `Cannot read video "${path}"`);
  let stream: Record<string, unknown> | undefined;
  try {
    stream = (JSON.parse(stdout) as { streams?: Record<string, unknown>[] }).streams?.[0];
  } catch {
    stream = undefined;
  }
  if (!stream || !stream.width || !stream.height) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read video "${path}": it has no video stream. Pass a video file (e.g. MP4, MOV, AVI, MKV).`);
  }
  const fps = parseRate(stream.avg_frame_rate) || parseRate(stream.r_frame_rate);
  const frames = Number(stream.nb_read_packets) || Number(stream.nb_frames) || 0;
  return { width: Number(stream.width), height: Number(stream.height), fps, frames };
}

/**
 * Frames of a video file (decoded to PNGs in a new temp folder) or of a folder of images
 * (sorted naturally by name: 2.png before 10.png). Frame selection is start..end-1.
 */
export async function readFrames(input: string, opts: ReadFramesOptions = {}): Promise<Frames> {
  const start = opts.start ?? 0;
  const end = opts.end ?? Infinity;
  if (!Number.isInteger(start) || start < 0 || !(end === Infinity || Number.isInteger(end))) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frames of "${input}": start and end must be whole frame numbers, got ${start}..${end}. Pass e.g. {start: 0, end: 50}.`);
  }
  if (end <= start) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frames of "${input}": end (${end}) must be after start (${start}). Pass end > start, or leave it out for "to the end".`);
  }
  if (opts.fps !== undefined && !(opts.fps > 0 && Number.isFinite(opts.fps))) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frames of "${input}": fps must be a positive number, got ${opts.fps}. Pass e.g. {fps: 10}.`);
  }
  let st;
  try {
    st = await stat(input);
  } catch {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frames: no such file or folder "${input}". Pass a video file or a folder of image frames.`);
  }
  return st.isDirectory() ? readFolder(input, start, end, opts.fps) : readVideo(input, start, end, opts.fps);
}

async function readFolder(dir: string, start: number, end: number, fps: number | undefined): Promise<Frames> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }));
  if (names.length === 0) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frames from folder "${dir}": it has no images. Put PNG, JPEG, WebP or TIFF frames in it.`);
  }
  const picked = names.slice(start, end).map((n) => join(dir, n));
  if (picked.length === 0) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frames from folder "${dir}": it has ${names.length} frames, none in ${start}..${end}. Pass a start below ${names.length}.`);
  }
  // Every frame must match the first: the networks are built for one size.
  let size: { width: number; height: number } | undefined;
  for (const p of picked) {
    const s = await frameSize(p);
    if (!size) size = s;
    else if (s.width !== size.width || s.height !== size.height) {
      throw new InputError('ERR_VIDEO_FILE', 
        `Cannot read frames from folder "${dir}": "${basename(p)}" is ${s.width}x${s.height} but "${basename(picked[0])}" is ${size.width}x${size.height}. Resize all frames to one size.`,
      );
    }
  }
  return { frames: picked, fps: fps ?? DEFAULT_FOLDER_FPS, width: size!.width, height: size!.height };
}

async function readVideo(path: string, start: number, end: number, fps: number | undefined): Promise<Frames> {
  const info = await probeVideo(path);
  checkFrameSize(info, `"${path}"`);
  const tmpDir = makeTmpDir(FRAMES_PREFIX);
  const filters: string[] = [];
  if (fps !== undefined) filters.push(`fps=${fps}`);
  // select counts frames after the fps filter, so start/end index the resampled clip.
  if (start > 0 || end !== Infinity) {
    filters.push(end === Infinity ? `select=gte(n\\,${start})` : `select=between(n\\,${start}\\,${end - 1})`);
  }
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-i', path];
  if (filters.length) args.push('-vf', filters.join(','));
  if (end !== Infinity) args.push('-frames:v', String(end - start)); // stop decoding once done
  args.push('-fps_mode', 'passthrough', join(tmpDir, 'frame_%06d.png'));
  try {
    await run('ffmpeg', args, `Cannot decode video "${path}"`);
    const frames = (await readdir(tmpDir)).filter((n) => n.endsWith('.png')).sort().map((n) => join(tmpDir, n));
    if (frames.length === 0) {
      throw new InputError('ERR_VIDEO_FILE', 
        `Cannot read frames of "${path}": no frames in ${start}..${end} (the clip has about ${info.frames} frames at ${info.fps.toFixed(2)} fps). Pass a smaller start.`,
      );
    }
    // Size from a decoded frame: ffmpeg applies rotation metadata, the probed size does not.
    const { width, height } = await frameSize(frames[0]);
    return { frames, fps: fps ?? info.fps, width, height, tmpDir };
  } catch (err) {
    await removeTmpDir(tmpDir);
    throw err;
  }
}

/** Encode frames (all one size and format) as H.264 MP4, yuv420p, written atomically. */
export async function writeVideo(framePaths: string[], fps: number, outPath: string): Promise<void> {
  if (framePaths.length === 0) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot write video "${outPath}": no frames given. Pass at least one frame path.`);
  }
  if (!(fps > 0 && Number.isFinite(fps))) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot write video "${outPath}": fps must be a positive number, got ${fps}. Pass e.g. 30.`);
  }
  const ext = extname(framePaths[0]).toLowerCase();
  const size = await frameSize(framePaths[0]);
  for (const p of framePaths) {
    if (extname(p).toLowerCase() !== ext) {
      throw new InputError('ERR_VIDEO_FILE', `Cannot write video "${outPath}": frames mix "${ext}" and "${extname(p)}" files. Save all frames in one format.`);
    }
  }
  for (const p of framePaths.slice(1)) {
    const s = await frameSize(p);
    if (s.width !== size.width || s.height !== size.height) {
      throw new InputError('ERR_VIDEO_FILE', `Cannot write video "${outPath}": "${p}" is ${s.width}x${s.height}, the first frame is ${size.width}x${size.height}. Give all frames one size.`);
    }
  }

  // ffmpeg wants a numbered sequence: link the frames into a temp folder under such names.
  const linkDir = makeTmpDir(ENCODE_PREFIX);
  const outDir = dirname(resolve(outPath));
  const tmpOut = join(outDir, `.${basename(outPath)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await mkdir(outDir, { recursive: true });
    await Promise.all(framePaths.map((p, i) => symlink(resolve(p), join(linkDir, `${String(i).padStart(6, '0')}${ext}`))));
    await run('ffmpeg', [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-framerate', String(fps),
      '-i', join(linkDir, `%06d${ext}`),
      // yuv420p needs even sides: pad odd ones by a black pixel rather than resample.
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18',
      '-movflags', '+faststart',
      '-f', 'mp4', tmpOut,
    ], `Cannot write video "${outPath}"`, 'Check that the frames are valid images and the output folder is writable.');
    await rename(tmpOut, outPath);
  } catch (err) {
    await unlink(tmpOut).catch(() => {});
    throw err;
  } finally {
    await removeTmpDir(linkDir);
  }
}

// ---- helpers ----

async function requireFile(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read video "${path}": no such file. Check the path.`);
  }
  if (st.isDirectory()) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read video "${path}": it is a folder. Pass a video file, or use readFrames() for a folder of frames.`);
  }
  if (st.size === 0) throw new InputError('ERR_VIDEO_FILE', `Cannot read video "${path}": file is empty. Pass a video file (e.g. MP4, MOV, AVI, MKV).`);
}

async function frameSize(path: string): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(path).metadata();
    if (!m.width || !m.height) throw new InputError('ERR_VIDEO_FILE', 'size unknown');
    // EXIF orientations 5-8 swap width and height once applied.
    return (m.orientation ?? 1) >= 5 ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
  } catch (err) {
    throw new InputError('ERR_VIDEO_FILE', `Cannot read frame "${path}": not a readable image (${firstLine(err)}). Replace or remove it.`);
  }
}

function parseRate(v: unknown): number {
  const [num, den] = String(v ?? '').split('/').map(Number);
  const r = den === undefined ? num : num / den;
  return Number.isFinite(r) && r > 0 ? r : 0;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
}

const VIDEO_HINT = 'Check that it is a valid video file (e.g. MP4, MOV, AVI, MKV).';

/** Run a command; on failure throw `context: <last lines of stderr>. hint`. */
function run(cmd: string, args: string[], context: string, hint = VIDEO_HINT): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // Its own process group: a Ctrl-C at the terminal is ours to act on (stop training, then write),
    // not ffmpeg's; if we exit first, the exit cleanup stops it.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const forget = undoOnExit(() => { child.kill('SIGKILL'); });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024); // keep the tail only
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      forget();
      reject(
        err.code === 'ENOENT'
          ? new Error(`${context}: ${cmd} is not installed. Install it (Debian/Ubuntu: apt-get install ffmpeg).`)
          : new Error(`${context}: could not start ${cmd} (${err.message}).`),
      );
    });
    child.on('close', (code) => {
      forget();
      if (code === 0) return resolvePromise({ stdout, stderr });
      const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
      const summary = lines.slice(-3).join(' / ') || `exit code ${code}`;
      reject(new Error(`${context}: ${cmd} failed (${summary}). ${hint}`));
    });
  });
}

/** Frames as image files (readFrames' paths), read when needed. */
export function fileFrames(paths: string[], width: number, height: number): FrameSource {
  return {
    count: paths.length, width, height,
    load: async (k) => {
      const img = await readImage(paths[k]);
      if (img.width !== width || img.height !== height)
        throw new InputError('ERR_VIDEO_FILE', `All frames must have one size: "${paths[k]}" is ${img.width}x${img.height}, the first frame is ${width}x${height}.`);
      return img;
    },
  };
}
