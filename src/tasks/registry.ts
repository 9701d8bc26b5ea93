// Every task, declared once: its name, what it takes (images or a clip, how many), its options
// (names from options.ts, whose schema checks them), what it writes, and how to run it. The
// command line's flags and --help, the web page's form, the library's checks and a queued job's
// payload all come from here. Running a task loads it (and libtorch) only then, so that --help,
// the web page's form and a queue's validation stay fast.
import type { Image } from '../image/image.js';
import type { FrameSource, TaskResult, VideoResult } from '../core/result.js';
import { OPTIONS, TASK_OPTIONS, checkOptions, optionFromText, optionSpec, taskSchema, type OptionName, type TaskName } from './options.js';

export type { TaskName, OptionName };

/** What a task is given besides its options. */
export type TaskInput = { images: Image[] } | { frames: FrameSource };

export interface TaskEntry {
  name: TaskName;
  /** One line. */
  summary: string;
  /** What it does and writes, for --help and the web page (plain text, wrapped at ~90 columns). */
  about: string;
  /** Images (how many) or one clip. */
  inputs: { kind: 'images'; min: number; max: number; usage: string } | { kind: 'video'; usage: string };
  /** Its options, in the order a form or --help lists them. */
  options: readonly OptionName[];
  /** Options whose value is an image file (the command line and the web read them as one). */
  imageOptions: readonly OptionName[];
  /** The task's own words for an option where the shared doc is too general. */
  docs?: Partial<Record<OptionName, string>>;
  /** Output names (files without .png; video: folders). */
  outputs: readonly string[];
  run(input: TaskInput, options: Record<string, unknown>): Promise<TaskResult | VideoResult>;
}

const images = (input: TaskInput): Image[] => {
  if (!('images' in input)) throw new TypeError('This task takes images, not a clip');
  return input.images;
};
const frames = (input: TaskInput): FrameSource => {
  if (!('frames' in input)) throw new TypeError('This task takes a clip (frames), not images');
  return input.frames;
};

const VIDEO_ABOUT = `INPUT is a video file or a folder of frames (sorted by name, all one size); frames are written
as PNG (00001.png, ...) at the input's resolution, plus DIR/<folder>.mp4 for each folder when INPUT
is a video; report.json (timings, seconds per frame) and loss.png.`;

const ENTRIES: Omit<TaskEntry, 'options'>[] = [
  {
    name: 'segment', summary: 'foreground/background segmentation of one image',
    about: `Splits IMAGE into a foreground layer, a background layer and a binary mask
(I = m * foreground + (1 - m) * background). Without a hint, an automatic saliency estimate says
roughly where the object is; a box or a hint mask does better.

Writes DIR/mask.png (255 = foreground), mask-soft.png, foreground.png, background.png,
reconstruction.png, hints.png (the hints used, in --hint format), loss.png and report.json.`,
    inputs: { kind: 'images', min: 1, max: 1, usage: 'IMAGE' }, imageOptions: ['hint'],
    docs: { hint: "a mask at the image's size: white = foreground, black = background, grey = unknown", box: 'a box around the object, in pixels of the input' },
    outputs: ['mask', 'mask-soft', 'foreground', 'background', 'reconstruction', 'hints'],
    run: async (input, o) => (await import('./segment.js')).segment(images(input)[0], o),
  },
  {
    name: 'separate', summary: 'transparent layer separation (one image, or two mixtures of the same layers)',
    about: `One image:  I = m * layer1 + (1 - m) * layer2 with a learned uniform m (--model blend, the
            default) or I = layer1 + layer2 (--model sum), with the exclusion loss.
Two images of the same two layers mixed differently (e.g. a reflection photographed twice):
            I_k = m_k * layer1 + (1 - m_k) * layer2; recovers both layers and both m_k.
            --layers solved (default): the layers are solved from the two inputs with the m_k
            (exact, full resolution); --layers net: the DIP outputs, as the authors' code.
            --coefficients estimated (default): the m_k are measured from the inputs (those whose
            solved layers share the fewest edges), in about a second and with no DIP trained;
            --coefficients learned: the coefficient DIP's, as the paper. The DIPs train when
            their output is used (--layers net, --coefficients learned, or m_k too close to
            solve with: learned 0.15, estimated 0.05, when the DIP outputs are the layers);
            beside solved layers they are kept as layer1-net.png, layer2-net.png.

Writes DIR/layer1.png, layer2.png, reconstruction(-k).png, loss.png (when trained) and
report.json (the coefficients used are in report.json as "coefficients", with
"learnedCoefficients", "estimatedCoefficients" and "trained").`,
    inputs: { kind: 'images', min: 1, max: 2, usage: 'IMAGE [IMAGE2]' }, imageOptions: [],
    outputs: ['layer1', 'layer2', 'reconstruction'],
    run: async (input, o) => (await import('./separate.js')).separate(images(input), o),
  },
  {
    name: 'dehaze', summary: 'remove haze from one image (Double-DIP, or the dark channel prior baseline)',
    about: `Splits a hazy IMAGE into the haze-free scene J, a transmission map t and an airlight map A
(I = t * J + (1 - t) * A): three coupled Deep Image Priors (--method double-dip, minutes), or He
et al.'s dark channel prior (--method dcp, no training, seconds). Give --airlight when the haze
colour is known (the authors gave theirs per image). --dark-channel 0 --airlight-grid 1
--airlight-pull 0 --transmission-hint 0 is the authors' recipe.

Writes DIR/dehazed.png, transmission.png (white = clear), airlight.png, loss.png (double-dip) and
report.json (the airlight A0, estimated or given, is in report.json).`,
    inputs: { kind: 'images', min: 1, max: 1, usage: 'IMAGE' }, imageOptions: [],
    outputs: ['dehazed', 'transmission', 'airlight', 'J-net'],
    run: async (input, o) => (await import('./dehaze.js')).dehaze(images(input)[0], o),
  },
  {
    name: 'watermark', summary: 'remove a watermark (one image + its region, or several images sharing the mark)',
    about: `One image: say where the mark is, with --box or a --hint mask of the same size (white = mark
region). Pixels outside the region are kept as they are; only the region and its surroundings are
processed (--size applies to that part). Several images of the same size sharing one watermark:
no region needed.

Each clean image is solved from its input and the learned mark, C = (I - alpha W) / (1 - alpha);
the clean DIP's output is kept as clean-net.png (clean-K-net.png for several images). With
--opacity uniform (one image, the default) the mark has one opacity, the level that holds most of
the learned opacity: it is kept within what the image allows, clipped at the level, dropped more
than a pixel from the mark's core, and made to follow the mark's edges; free keeps it as learned
(a mark drawn at several opacities, or with a glow or shadow). Several images with --sparsity 0
--exclusion 0 --clean net is the authors' recipe.

Writes DIR/clean.png (or clean-1.png, clean-2.png, ... for several images), watermark.png,
alpha.png (the mark's opacity), loss.png and report.json. One image: when the result's checks
doubt it (report.json: confidence low, and why), clean.png is the input itself and the attempt
is kept as clean-attempt.png.`,
    inputs: { kind: 'images', min: 1, max: 32, usage: 'IMAGE [IMAGE2 ...]' }, imageOptions: ['hint'],
    docs: { hint: "one image: a mask at the image's size, white = the mark's region", box: 'one image: a box around the mark, in pixels of the input' },
    outputs: ['clean', 'watermark', 'alpha'],
    run: async (input, o) => (await import('./watermark.js')).removeWatermark(images(input), o),
  },
  {
    name: 'video segment', summary: 'video segmentation: I_i = m_i * fg_i + (1 - m_i) * bg_i, one DIP per layer for all frames',
    about: `Writes DIR/mask/, foreground/, background/.\n${VIDEO_ABOUT}`,
    inputs: { kind: 'video', usage: 'INPUT' }, imageOptions: [], outputs: ['mask', 'foreground', 'background'],
    run: async (input, o) => (await import('./video.js')).videoSegment(frames(input), o),
  },
  {
    name: 'video separate', summary: 'video layer separation: I_i = m_i * layer1_i + (1 - m_i) * layer2 (a moving layer and a still one)',
    about: `Writes DIR/layer1/ (dynamic), layer2/ (static); the per-frame coefficients m_i are in report.json.\n${VIDEO_ABOUT}`,
    inputs: { kind: 'video', usage: 'INPUT' }, imageOptions: [], outputs: ['layer1', 'layer2'],
    run: async (input, o) => (await import('./video.js')).videoSeparate(frames(input), o),
  },
  {
    name: 'video dehaze', summary: 'video dehazing: I_i = t_i * J_i + (1 - t_i) * A, one airlight map for the clip',
    about: `Writes DIR/dehazed/, transmission/.\n${VIDEO_ABOUT}`,
    inputs: { kind: 'video', usage: 'INPUT' }, imageOptions: [], outputs: ['dehazed', 'transmission'],
    run: async (input, o) => (await import('./video.js')).videoDehaze(frames(input), o),
  },
];

/** Every task by name. */
export const TASKS: Record<string, TaskEntry> = Object.fromEntries(ENTRIES.map((e) => [e.name, { ...e, options: TASK_OPTIONS[e.name].options }]));

export function taskEntry(name: string): TaskEntry | undefined {
  return Object.prototype.hasOwnProperty.call(TASKS, name) ? TASKS[name] : undefined;
}

/** An option as a form or a usage line shows it. */
export interface OptionField {
  name: OptionName;
  /** How its value is written: N, W, yes|no, R,G,B, ... */
  value: string;
  doc: string;
  unit?: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  /** It takes an image file (a form's file input). */
  image: boolean;
  /** A good value in words ("an integer from 64 to 2048"). */
  expects: string;
}

/** Options only a program gives (previews go to a callback). */
const PROGRAM_ONLY = new Set<string>(['previewEvery']);

/** The options every task takes, which --help lists apart. */
export const COMMON_OPTIONS: readonly OptionName[] = ['iterations', 'maxSeconds', 'size', 'seed', 'device', 'threads'];

/** The options of a task that a person can give as text or a file (not callbacks or signals), in order. */
export function optionFields(task: TaskName): OptionField[] {
  const entry = taskEntry(task);
  const imageOptions: readonly string[] = entry?.imageOptions ?? [];
  return TASK_OPTIONS[task].options
    .map((name) => ({ name, spec: optionSpec(name, task) }))
    .filter(({ name, spec }) => !PROGRAM_ONLY.has(name) && (spec.fromText || imageOptions.includes(name)))
    .map(({ name, spec }) => ({
      name, value: spec.value ?? 'VALUE', doc: entry?.docs?.[name] ?? spec.doc, unit: name === 'box' ? undefined : spec.unit, default: spec.default, choices: spec.choices,
      image: imageOptions.includes(name), expects: spec.expects,
    }));
}

/**
 * A task's options from their text (the command line's flags, a form's fields, a queued job's
 * payload): each read as its option reads text, then the whole checked by the task's schema.
 * `files`: options given as files (counted as present for the checks between options).
 */
export function optionsFromText(task: TaskName, texts: Record<string, string | undefined>, inputs: { images?: number } = {}, files: string[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(texts)) {
    if (text === undefined) continue;
    o[name] = name in OPTIONS && OPTIONS[name as OptionName].fromText ? optionFromText(name as OptionName, text, task) : text;
  }
  return checkOptions(task, o, inputs, files);
}

export { taskSchema, checkOptions };

// The library's option types are written out (for their JSDoc); the compiler holds them to the
// registry: each task's options interface has exactly the options its schema takes.
type Keys<T> = Exclude<keyof T, never>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Listed<T extends TaskName> = (typeof TASK_OPTIONS)[T]['options'][number];
const sameOptions: [
  Same<Keys<import('./segment.js').SegmentOptions>, Listed<'segment'>>,
  Same<Keys<import('./separate.js').SeparateOptions>, Listed<'separate'>>,
  Same<Keys<import('./dehaze.js').DehazeOptions>, Listed<'dehaze'>>,
  Same<Keys<import('./watermark.js').WatermarkOptions>, Listed<'watermark'>>,
  Same<Keys<import('./complexity.js').ComplexityOptions>, Listed<'complexity'>>,
] = [true, true, true, true, true];
void sameOptions;
