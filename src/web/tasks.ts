// The tasks the web app can run. Adding a task is one entry in TASKS: what it takes (images, or one
// video), whether it uses a box or a hint mask, and how to run it. A runner trains and writes its
// outputs into the folder it is given.
import { relative } from 'node:path';
import type { Image } from '../image/image.js';
import { writeTaskResult } from '../io/outputs.js';
import type { Box } from '../image/hints.js';
import { hintsFromMask } from '../tasks/hints.js';
import type { Report, TaskOptions, TaskResult } from '../tasks/common.js';
import { dehaze, type DehazeMethod } from '../tasks/dehaze.js';
import { checkSegmentBox, segment } from '../tasks/segment.js';
import { separate } from '../tasks/separate.js';
import { markRegion, removeWatermark } from '../tasks/watermark.js';
import { runVideo, type VideoSelection } from './video.js';

export interface WebTaskInput {
  images: Image[];
  /** The uploaded clip (video tasks): its path and the frames to use. */
  video?: VideoSelection & { path: string };
  box?: Box;
  hint?: Image;
  /** Task-specific choices, already checked against the entry's `choices`. */
  choices: Record<string, string>;
  options: TaskOptions;
}

export interface WebTaskOutput {
  report: Report;
  /** The files written, relative to the output folder (frames as "mask/00001.png"). */
  files: string[];
}

/** Runs a task and writes its outputs into `dir`. */
export type WebTaskRunner = (input: WebTaskInput, dir: string) => Promise<WebTaskOutput>;

export interface WebTask {
  name: string;
  label: string;
  description: string;
  /** Takes one video instead of images (minImages and maxImages are then 0). */
  video: boolean;
  minImages: number;
  maxImages: number;
  /** Accepts a box drawn on the (first) image. */
  box: boolean;
  /** Accepts a hint mask (white = foreground, black = background, grey = unknown). */
  hint: boolean;
  /** Extra string options with their allowed values; the first is the default. */
  choices?: Record<string, string[]>;
  /**
   * Checks the box or hint mask by the task's own rules when the job is sent (throws a message
   * for the page), so that a job is never queued only to fail on them later.
   */
  checkHints?: (h: HintCheck) => void;
  run: WebTaskRunner;
}

/** What checkHints sees: the images' count and size (already checked equal), a box inside them, a hint mask of their size. */
export interface HintCheck { count: number; width: number; height: number; size?: number; box?: Box; hint?: Image }

/** An image task: its result written as PNGs, loss.png and report.json. */
const images = (task: (input: WebTaskInput) => Promise<TaskResult>): WebTaskRunner => async (input, dir) => {
  const result = await task(input);
  const written = await writeTaskResult(dir, result);
  return { report: result.report, files: written.map((p) => relative(dir, p)) };
};

const MARK_COLOURS: Record<string, [number, number, number] | 'learn' | undefined> = { auto: undefined, white: [1, 1, 1], black: [0, 0, 0], learned: 'learn' };

export const TASKS: WebTask[] = [
  {
    name: 'segment', label: 'Segment', description: 'Foreground/background segmentation of one image: mask, foreground, background.',
    video: false, minImages: 1, maxImages: 1, box: true, hint: true,
    checkHints: ({ hint, box, width, height, size }) => { if (hint) hintsFromMask(hint, width, height); if (box) checkSegmentBox(box, width, height, size); },
    run: images(({ images, box, hint, options }) => segment(images[0], { ...options, box, hint })),
  },
  {
    name: 'separate', label: 'Separate', description: 'Transparent layer separation: one image, or two mixtures of the same two layers.',
    video: false, minImages: 1, maxImages: 2, box: false, hint: false, choices: { model: ['blend', 'sum'] },
    // The page sends its model choice with two images too, where the two-mixture model is the only one.
    run: images(({ images, choices, options }) => separate(images, { ...options, model: images.length === 1 ? choices.model as 'blend' | 'sum' | undefined : undefined })),
  },
  {
    name: 'dehaze', label: 'Dehaze', description: 'Removes haze: a clear image, a transmission map and the airlight (dcp: the dark channel prior, in seconds).',
    video: false, minImages: 1, maxImages: 1, box: false, hint: false, choices: { method: ['double-dip', 'dcp'] },
    run: images(({ images, choices, options }) => dehaze(images[0], { ...options, method: choices.method as DehazeMethod | undefined })),
  },
  {
    name: 'watermark', label: 'Watermark', description: 'Removes a watermark shared by one or more images; with one image, draw a box around the mark.',
    video: false, minImages: 1, maxImages: 8, box: true, hint: true,
    choices: { mark: ['auto', 'white', 'black', 'learned'], opacity: ['auto', 'uniform', 'free'] },
    checkHints: ({ count, box, hint, width, height }) => {
      if (count > 1 && (box || hint)) throw new Error('A box or hint mask applies to one image; several images sharing a mark need none: send it without.');
      if (count === 1 && !box && !hint)
        throw new Error('One image needs the watermark region: draw a box around the mark or give a hint mask (or send several images that share the mark).');
      if (hint) markRegion(width, height, { hint });
    },
    // auto: white for one image, learned for several (see WatermarkOptions.markColour); one
    // opacity for one image, learned as it is for several (WatermarkOptions.opacity).
    run: images(({ images, box, hint, choices, options }) => removeWatermark(images, { ...options, box, hint, markColour: MARK_COLOURS[choices.mark ?? 'auto'],
      opacity: choices.opacity === 'uniform' || choices.opacity === 'free' ? choices.opacity : undefined })),
  },
  {
    name: 'video', label: 'Video',
    description: 'One video, all frames at once with temporal consistency: segment (mask, foreground, background), ' +
      'separate (a moving layer and a still one) or dehaze. Outputs a folder of frames and an MP4 per layer.',
    video: true, minImages: 0, maxImages: 0, box: false, hint: false, choices: { mode: ['segment', 'separate', 'dehaze'] },
    run: runVideo,
  },
];
