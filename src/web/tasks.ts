// The tasks the web app can run. Adding a task is one entry in TASKS: how many images it takes,
// whether it uses a box or a hint mask, and how to call it. Tasks whose module is not there
// (yet) are simply not offered.
import type { Image } from '../image/image.js';
import type { Box } from '../tasks/hints.js';
import type { TaskOptions, TaskResult } from '../tasks/common.js';

export interface WebTaskInput {
  images: Image[];
  box?: Box;
  hint?: Image;
  /** Task-specific choices, already checked against the entry's `choices`. */
  choices: Record<string, string>;
  options: TaskOptions;
}

export type WebTaskRunner = (input: WebTaskInput) => Promise<TaskResult>;

export interface WebTask {
  name: string;
  label: string;
  description: string;
  minImages: number;
  maxImages: number;
  /** Accepts a box drawn on the (first) image. */
  box: boolean;
  /** Accepts a hint mask (white = foreground, black = background, grey = unknown). */
  hint: boolean;
  /** Extra string options with their allowed values; the first is the default. */
  choices?: Record<string, string[]>;
  /** Returns the runner, or null when the task's module is not available in this build. */
  load(): Promise<WebTaskRunner | null>;
}

/** Imports a module that may not exist in this build; null when missing. */
async function optional(specifier: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND') return null;
    throw e;
  }
}

type AnyTask = (...args: unknown[]) => Promise<TaskResult>;
const fn = (mod: Record<string, unknown> | null, name: string): AnyTask | null =>
  mod && typeof mod[name] === 'function' ? (mod[name] as AnyTask) : null;

export const TASKS: WebTask[] = [
  {
    name: 'segment', label: 'Segment', description: 'Foreground/background segmentation of one image: mask, foreground, background.',
    minImages: 1, maxImages: 1, box: true, hint: true,
    async load() {
      const { segment } = await import('../tasks/segment.js');
      return ({ images, box, hint, options }) => segment(images[0], { ...options, box, hint });
    },
  },
  {
    name: 'separate', label: 'Separate', description: 'Transparent layer separation: one image, or two mixtures of the same two layers.',
    minImages: 1, maxImages: 2, box: false, hint: false, choices: { model: ['blend', 'sum'] },
    async load() {
      const { separate } = await import('../tasks/separate.js');
      return ({ images, choices, options }) => separate(images, { ...options, model: choices.model as 'blend' | 'sum' | undefined });
    },
  },
  {
    name: 'dehaze', label: 'Dehaze', description: 'Removes haze: a clear image, a transmission map and the airlight.',
    minImages: 1, maxImages: 1, box: false, hint: false,
    async load() {
      const run = fn(await optional('../tasks/dehaze.js'), 'dehaze');
      return run && (({ images, options }) => run(images[0], options));
    },
  },
  {
    name: 'watermark', label: 'Watermark', description: 'Removes a watermark shared by one or more images; with one image, draw a box around the mark.',
    minImages: 1, maxImages: 8, box: true, hint: true,
    async load() {
      const mod = await optional('../tasks/watermark.js');
      const run = fn(mod, 'removeWatermark') ?? fn(mod, 'watermark');
      return run && (({ images, box, hint, options }) => run(images, { ...options, box, hint }));
    },
  },
];

/** The tasks available in this build, with their runners. */
export async function availableTasks(table: WebTask[] = TASKS): Promise<Map<string, { task: WebTask; run: WebTaskRunner }>> {
  const out = new Map<string, { task: WebTask; run: WebTaskRunner }>();
  for (const task of table) {
    const run = await task.load().catch(() => null);
    if (run) out.set(task.name, { task, run });
  }
  return out;
}
