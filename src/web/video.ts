// The web app's video task: checking an uploaded clip, and running a video decomposition on it
// with the same outputs as `double-dip video` (frame folders, one MP4 per folder, report.json).
import { relative } from 'node:path';
import { writeVideoResult } from '../io/outputs.js';
import { checkFrameSize, fileFrames, probeVideo, readFrames, removeFrames, type VideoInfo } from '../io/video-file.js';
import { MAX_FRAMES, VIDEO_TASKS, type VideoMode } from '../tasks/video.js';
import type { WebTaskInput, WebTaskOutput } from './tasks.js';

/** Which frames of the upload to use: [start, end) after resampling to `fps`. */
export interface VideoSelection { start: number; end?: number; fps?: number }

/**
 * The container formats taken, by their first bytes. ffprobe alone would also take a still image
 * (as a one-frame "video") or a playlist that points at other files, so the bytes come first.
 */
export function videoContainer(b: Buffer): string | null {
  const ascii = (at: number, s: string) => b.length >= at + s.length && b.toString('latin1', at, at + s.length) === s;
  if (ascii(4, 'ftyp')) return 'MP4/MOV';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'WebM/MKV';
  if (ascii(0, 'RIFF') && ascii(8, 'AVI ')) return 'AVI';
  if (ascii(0, 'FLV')) return 'FLV';
  if (ascii(0, 'OggS')) return 'Ogg';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x000001ba) return 'MPEG-PS';
  if (b.length > 188 * 2 && b[0] === 0x47 && b[188] === 0x47 && b[376] === 0x47) return 'MPEG-TS';
  return null;
}

/** "A:B", "A:", ":B" (frames A to B-1, from 0) -> {start, end}. Throws a message for the page. */
export function parseFrames(s: string): { start: number; end?: number } {
  const m = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(s);
  if (!m || (m[1] === '' && m[2] === '')) throw new Error(`"frames" must be A:B (e.g. 0:100), got ${JSON.stringify(s)}`);
  const start = m[1] === '' ? 0 : Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end <= start) throw new Error(`"frames" ${s}: the end (${end}) must be after the start (${start})`);
  return { start, end };
}

/**
 * Checks a probed upload before it is queued: a real picture size, at least one frame, and no more
 * than MAX_FRAMES in the selection. The count is the container's (resampled to `fps`, so only
 * close); the job checks the decoded frames again.
 */
export function checkUpload(info: VideoInfo, sel: VideoSelection): void {
  checkFrameSize(info, 'The video');
  if (info.frames === 0) throw new Error('The video has no frames: upload a clip with at least one decodable frame.');
  const total = sel.fps !== undefined && info.fps > 0 ? Math.round((info.frames * sel.fps) / info.fps) : info.frames;
  const picked = Math.min(total, sel.end ?? Infinity) - sel.start;
  if (picked <= 0)
    throw new Error(`The video has about ${total} frames${sel.fps ? ` at ${sel.fps} fps` : ''}: none from frame ${sel.start}. Pick a smaller start.`);
  if (picked > MAX_FRAMES)
    throw new Error(`The selection has ${picked} frames, more than the maximum of ${MAX_FRAMES} per job: ` +
      `pick a range (e.g. ${sel.start}:${sel.start + MAX_FRAMES}) or a lower fps.`);
}

/** Probes an uploaded file; any failure becomes a message for the page. */
export async function probeUpload(path: string): Promise<VideoInfo> {
  try {
    return await probeVideo(path);
  } catch {
    throw new Error('The file is not a readable video: upload an MP4, WebM, MOV, MKV or AVI clip.');
  }
}

/** Decodes the selected frames, trains, writes frame folders, MP4s, loss.png and report.json into dir. */
export async function runVideo({ video, choices, options }: WebTaskInput, dir: string): Promise<WebTaskOutput> {
  if (!video) throw new Error('The video task needs a video');
  const mode = (choices.mode ?? 'segment') as VideoMode;
  // One frame past the limit at most, so an overlong clip is refused without decoding it all.
  const frames = await readFrames(video.path, { start: video.start, end: video.end ?? video.start + MAX_FRAMES + 1, fps: video.fps })
    .catch((e: Error) => { throw new Error(e.message.split(`"${video.path}"`).join('the video')); }); // no server paths on the page
  try {
    if (frames.frames.length > MAX_FRAMES)
      throw new Error(`The video has more than ${MAX_FRAMES} frames from frame ${video.start}: the maximum per job is ${MAX_FRAMES}. ` +
        `Pick a range (e.g. ${video.start}:${video.start + MAX_FRAMES}) or a lower fps.`);
    const source = fileFrames(frames.frames, frames.width, frames.height);
    const result = await VIDEO_TASKS[mode](source, options);
    let files: string[] = [];
    try {
      await writeVideoResult(dir, result, source, frames.fps, `video ${mode}`, (out) => {
        files = [...Object.values(out.frames).flat(), ...out.videos, ...(out.lossPlot ? [out.lossPlot] : [])].map((p) => relative(dir, p));
        return {
          ...result.report,
          input: { kind: 'video', frames: source.count, first: video.start, fps: frames.fps, width: frames.width, height: frames.height },
          outputs: [...result.folders.map((f) => `${f}/`), ...files.filter((f) => !f.includes('/')), 'report.json'],
        };
      });
    } finally {
      result.dispose();
    }
    return { report: result.report, files: [...files, 'report.json'] };
  } finally {
    await removeFrames(frames);
  }
}
