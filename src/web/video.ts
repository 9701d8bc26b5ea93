// The web app's video tasks: checking an uploaded clip, and running a video task of the registry
// on it with the same outputs as `double-dip video` (frame folders, one MP4 per folder, report.json).
import { relative } from 'node:path';
import { writeVideoResult } from '../io/outputs.js';
import { checkFrameSize, fileFrames, probeVideo, readFrames, removeFrames, type VideoInfo } from '../io/video-file.js';
import { MAX_FRAMES } from '../tasks/options.js';
import type { TaskEntry } from '../tasks/registry.js';
import type { Report, VideoResult } from '../core/result.js';
import type { VideoSelection } from './options.js';

export type { VideoSelection };

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

/** Decodes the selected frames of the clip at `path`, runs the video task, writes frame folders, MP4s (unless `mp4` is false), loss.png and report.json into dir. */
export async function runVideo(task: TaskEntry, path: string, video: VideoSelection, options: Record<string, unknown>, dir: string, mp4 = true):
  Promise<{ report: Report; files: string[] }> {
  // One frame past the limit at most, so an overlong clip is refused without decoding it all.
  const frames = await readFrames(path, { start: video.start, end: video.end ?? video.start + MAX_FRAMES + 1, fps: video.fps })
    .catch((e: Error) => { throw new Error(e.message.split(`"${path}"`).join('the video')); }); // no server paths on the page
  try {
    if (frames.frames.length > MAX_FRAMES)
      throw new Error(`The video has more than ${MAX_FRAMES} frames from frame ${video.start}: the maximum per job is ${MAX_FRAMES}. ` +
        `Pick a range (e.g. ${video.start}:${video.start + MAX_FRAMES}) or a lower fps.`);
    const source = fileFrames(frames.frames, frames.width, frames.height);
    const result = await task.run({ frames: source }, options) as VideoResult;
    let files: string[] = [];
    try {
      await writeVideoResult(dir, result, source, mp4 ? frames.fps : undefined, task.name, (out) => {
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
