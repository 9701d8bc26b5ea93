// Every option of every task, declared once: its type and limits (a zod schema), default, unit and
// a one-line doc. The library checks an options object here at each task's entry, the command
// line after reading its flags' text, the web server after reading the JSON; an error names the
// option and the value received (OptionError), and each surface renders the name its own way.
import { z } from 'zod';
import { MAX_THREADS } from '../tensor/limits.js';
import type { Image } from '../image/image.js';
import { OptionError, show, type Namer } from './option-error.js';

export { MAX_THREADS };
export { OptionError, flagName, fieldName, show, type Namer, type OptionErrorCode } from './option-error.js';

export const MIN_SIZE = 64;
/**
 * Working sizes above 2048 px are refused: peak RSS grows ~2.7 KB per working pixel (segment, one
 * iteration on a 2048 px photo: 1.7 GB at --size 512, 3.5 GB at 1024, 12 GB at 2048), so 4096 would need ~46 GB.
 */
export const MAX_SIZE = 2048;
/** Most frames one video run takes: beyond this, pick a range (--frames A:B) or a lower --fps. */
export const MAX_FRAMES = 300;
/** Longest time budget: a week. */
export const MAX_SECONDS = 7 * 24 * 3600;
/** Largest loss weight taken: far beyond it a term drowns the reconstruction it is meant to shape. */
export const MAX_WEIGHT = 1000;

/** One option: what it takes (schema, and the same in words), what it means, and how to read it from text. */
export interface OptionSpec {
  schema: z.ZodType;
  /** A good value in words, as it ends "Expected ... for NAME": "an integer from 1 to 1000000". */
  expects: string;
  doc: string;
  unit?: string;
  /** The default, as documentation (a value, or words where it depends: "the task's recipe"). */
  default?: string | number | boolean;
  /**
   * The value of a command-line or form text ("12", "yes", "10,20,30,40"); throws OptionError when
   * the text cannot be one. Absent: the option has no text form (an image, a function, a signal).
   */
  fromText?: (text: string, option: string) => unknown;
  /** How a received value is shown in a message (default: show()). */
  show?: (v: unknown) => string;
  /** The value's form in a usage line: N, W, yes|no, R,G,B, X,Y,W,H. */
  value?: string;
  /** The values it takes, where they are a short list (a form offers them as a choice). */
  choices?: readonly string[];
}

/** A number's text: the number, or the text itself (so the schema reports it as received). */
export function numberFromText(text: string): unknown {
  const t = text.trim();
  const n = Number(t);
  return t === '' || (Number.isNaN(n) && t !== 'NaN') ? text : n;
}

const int = (min: number, max: number, meta: Meta): OptionSpec =>
  ({ schema: z.int().min(min).max(max), expects: `an integer from ${min} to ${max}`, fromText: numberFromText, value: 'N', ...meta });
const weight = (meta: Meta): OptionSpec =>
  ({ schema: z.number().min(0).max(MAX_WEIGHT), expects: `a number from 0 to ${MAX_WEIGHT}`, fromText: numberFromText, value: 'W', ...meta });
const oneOf = <T extends string>(values: readonly [T, ...T[]], meta: Meta): OptionSpec =>
  ({ schema: z.enum(values), expects: `one of ${values.join(', ')}`, fromText: (s) => s, value: values.join('|'), choices: values, ...meta });
const yesNo = (meta: Meta): OptionSpec => ({
  schema: z.boolean(), expects: 'true or false', value: 'yes|no', choices: ['yes', 'no'], ...meta,
  fromText: (s, option) => {
    if (s === 'yes' || s === 'no') return s === 'yes';
    throw new OptionError('ERR_OPTION_CHOICE', option, s, (n) => `Expected yes or no for ${n(option)} but received ${show(s)}`);
  },
});
type Meta = Omit<OptionSpec, 'schema' | 'expects' | 'fromText'> & { fromText?: OptionSpec['fromText'] };

/** "R,G,B" with each in min..255 (as an image editor shows a colour) -> [r, g, b] in [0, 1]. */
function rgbFromText(min: number) {
  return (text: string, option: string): [number, number, number] => {
    const parts = text.split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < min || p > 255))
      throw new OptionError(parts.length !== 3 || parts.some((p) => !Number.isFinite(p)) ? 'ERR_OPTION_TYPE' : 'ERR_OPTION_RANGE', option, text,
        (n) => `Expected R,G,B with each from ${min} to 255 for ${n(option)} but received ${show(text)}`);
    return parts.map((p) => p / 255) as [number, number, number];
  };
}

const rgb = z.tuple([z.number(), z.number(), z.number()]);
/** An airlight colour: each channel above 0 (the haze model divides by it) and at most 1. */
const airlight = rgb.refine((c) => c.every((v) => v > 0 && v <= 1));
const AIRLIGHT_EXPECTS = '[r, g, b] with each above 0 and at most 1';

const box = z.strictObject({ x: z.int().min(0), y: z.int().min(0), width: z.int().min(1), height: z.int().min(1) });
const showBox = (v: unknown): string => {
  const b = v as Record<string, unknown>;
  return b && typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 4 && ['x', 'y', 'width', 'height'].every((k) => typeof b[k] === 'number')
    ? `${b.x},${b.y},${b.width},${b.height}` : show(v);
};
/** "X,Y,W,H" -> {x, y, width, height}; any four numbers (the schema checks them). */
function boxFromText(text: string, option: string): unknown {
  const parts = text.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
  if (parts.length !== 4 || parts.some((v) => Number.isNaN(v)))
    throw new OptionError('ERR_OPTION_TYPE', option, text, (n) => `Expected X,Y,W,H (four integers, pixels) for ${n(option)} but received ${show(text)}`);
  const [x, y, width, height] = parts;
  return { x, y, width, height };
}

/** "A:B", "A:" or ":B": frames A to B-1, counted from 0. */
function framesFromText(text: string, option: string): { start: number; end?: number } {
  const m = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(text);
  if (!m || (m[1] === '' && m[2] === ''))
    throw new OptionError('ERR_OPTION_TYPE', option, text, (n) => `Expected A:B (frames A to B-1, e.g. 0:100) for ${n(option)} but received ${show(text)}`);
  const start = Number(m[1] || 0), end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end <= start)
    throw new OptionError('ERR_OPTION_RANGE', option, text, (n) => `${n(option)} ${text}: the end (${end}) must be after the start (${start})`);
  return { start, end };
}
// Any length: a range longer than MAX_FRAMES is run in chunks (--chunk), or refused where a run cannot chunk it.
const frames = z.strictObject({ start: z.int().min(0), end: z.int().min(1).optional() })
  .refine((f) => f.end === undefined || f.end > f.start);

const isImage = (v: unknown): v is Image => {
  const i = v as Image;
  return !!i && typeof i === 'object' && typeof i.width === 'number' && typeof i.height === 'number' && typeof i.channels === 'number' && i.data instanceof Float32Array;
};
const IMAGE_EXPECTS = 'an Image {width, height, channels, data: Float32Array}';

/** Every option, by its library name; the command line's flag is its kebab-case (maxSeconds: --max-seconds). */
const OPTION_SPECS = {
  // Every task.
  iterations: int(1, 1_000_000, { doc: "total training iterations; the recipe's phases are scaled to sum to this", default: "the task's recipe" }),
  maxSeconds: {
    schema: z.number().gt(0).max(MAX_SECONDS), expects: `a number of seconds above 0 and at most ${MAX_SECONDS} (a week)`, fromText: numberFromText, value: 'S',
    doc: 'stop after this many seconds and keep the best result so far', unit: 's', default: 'no limit',
  },
  size: int(MIN_SIZE, MAX_SIZE, { doc: "long side processed; outputs keep the input's resolution", unit: 'px', default: 256 }),
  seed: int(0, 2 ** 31 - 1, { doc: 'random seed: same seed and the same thread count, same result on CPU', default: 0 }),
  device: {
    schema: z.string().regex(/^(cpu|cuda(:\d+)?)$/), expects: 'cpu, cuda or cuda:N', fromText: (s) => s, value: 'cpu|cuda[:N]',
    doc: 'compute device (cuda needs a CUDA libtorch)', default: 'cpu',
  },
  threads: int(1, MAX_THREADS, { doc: 'CPU threads', default: 'all cores' }),
  previewEvery: int(1, 100_000, { doc: 'iterations between previews (onPreview)', default: 'none' }),
  signal: { schema: z.instanceof(AbortSignal), expects: 'an AbortSignal', doc: 'aborting it stops training and keeps the best result so far' },
  onProgress: { schema: z.custom<(p: unknown) => void>((v) => typeof v === 'function'), expects: 'a function', doc: 'called with the progress of each iteration' },
  onPreview: { schema: z.custom<(p: unknown) => void>((v) => typeof v === 'function'), expects: 'a function', doc: 'called every previewEvery iterations with the current layers' },

  // Segmentation.
  hint: { schema: z.custom<Image>(isImage), expects: IMAGE_EXPECTS, value: 'MASK.png', doc: "white = foreground, black = background, grey = unknown, at the image's size (watermark: white = the mark's region)" },
  box: { schema: box, expects: 'a box x, y, width, height in whole pixels with x, y >= 0 and width, height >= 1', fromText: boxFromText, show: showBox, value: 'X,Y,W,H',
    doc: 'a box around the object (watermark: around the mark), in pixels of the input', unit: 'px' },
  growHints: yesNo({ doc: "grow the hints to the object's rim by GrabCut", default: 'yes with a box or automatic hints, no with a hint mask' }),
  hintsAfter: weight({ doc: 'weight the hint terms keep once relaxed', default: '0.2 for grown hints, else 0' }),
  freeUnknown: { schema: z.boolean(), expects: 'true or false', doc: 'the mask hint counts only where the hints say fg or bg', default: true },

  // Separation.
  model: oneOf(['blend', 'sum'], { doc: 'one image: I = m y1 + (1 - m) y2 with a uniform m (blend) or I = y1 + y2 (sum)', default: 'blend' }),
  layers: oneOf(['solved', 'net'], { doc: "two images: layers solved from the inputs with the coefficients, or the DIPs' outputs", default: 'solved' }),
  coefficients: oneOf(['estimated', 'learned'], { doc: 'two images: mixing coefficients measured from the inputs, or learned by the coefficient DIP (the paper)', default: 'estimated' }),

  // The complexity curve.
  net: oneOf(['A', 'B', 'C', 'D', 'dip'], { doc: 'the DIP configuration that learns each image', default: 'B' }),

  // Dehazing.
  method: oneOf(['double-dip', 'dcp'], { doc: 'three coupled DIPs, or the dark channel prior (no training)', default: 'double-dip' }),
  airlight: { schema: airlight, expects: AIRLIGHT_EXPECTS, fromText: rgbFromText(1), value: 'R,G,B', doc: 'a known airlight colour, each channel 1-255', default: 'estimated' },
  passes: int(1, 3, { doc: 'Double-DIP passes, each on the previous result', default: 1 }),
  darkChannel: weight({ doc: 'weight of the dark channel prior on J', default: 0.05 }),
  darkChannelByT: yesNo({ doc: 'count each pixel of the dark channel prior by the transmission t', default: true }),
  airlightGrid: int(1, 256, { doc: 'the airlight map is made at 1/N of the working size', default: 4 }),
  airlightPull: weight({ doc: 'pull of A to A0 after the first quarter', default: 1 }),
  transmissionHint: weight({ doc: "pull of t to the dark channel prior's transmission in the first quarter", default: 1 }),
  transmissionHintAfter: weight({ doc: 'the same pull afterwards', default: 0.1 }),
  dcp: {
    schema: z.strictObject({
      patch: z.int().min(1).max(255).optional(), omega: z.number().min(0).max(1).optional(), t0: z.number().gt(0).max(1).optional(),
      radius: z.int().min(1).max(1000).optional(), eps: z.number().gt(0).max(1).optional(), airlightMode: z.enum(['brightest', 'mean']).optional(),
    }),
    expects: '{patch, omega, t0, radius, eps, airlightMode} within their limits (see DcpOptions)', doc: "the dark channel prior's parameters (He et al.)",
  },

  // Watermark removal.
  runs: int(1, 9, { doc: 'independent runs combined by a per-pixel median', default: '3 for one image, 1 for several' }),
  sparsity: weight({ doc: 'L1 cost on the opacity', default: 0.05 }),
  exclusion: weight({ doc: 'exclusion loss: clean vs mark (one image), every pair of clean images (several)', default: '0 for one image, 0.1 for several' }),
  clean: oneOf(['solved', 'net', 'refit'], { doc: "clean images solved from the learned mark, the clean DIPs' outputs, or (several images) solved with the mark refit as one colour (or two)", default: 'refit for several images with a learned mark colour, else solved' }),
  markColour: {
    schema: z.union([z.literal('learn'), rgb.refine((c) => c.every((v) => v >= 0 && v <= 1))]), expects: "'learn' or [r, g, b] with each from 0 to 1",
    doc: "the mark's colour: white, R,G,B (each 0-255), or learn it (a DIP)", default: 'white for one image, learn for several', value: 'white|R,G,B|learn',
    fromText: (s: string, option: string) => s === 'learn' ? 'learn' : s === 'white' ? [1, 1, 1] : (() => {
      try { return rgbFromText(0)(s, option); } catch {
        throw new OptionError('ERR_OPTION_TYPE', option, s, (n) => `Expected white, learn or R,G,B with each from 0 to 255 for ${n(option)} but received ${show(s)}`);
      }
    })(),
  },
  opacity: oneOf(['uniform', 'free'], { doc: 'one image: the mark has one opacity level (uniform) or keeps it as learned (free)', default: 'uniform' }),

  // Video.
  batch: int(1, MAX_FRAMES, { doc: 'frames per training iteration; memory grows with it', default: 4 }),
  hints: oneOf(['each', 'first', 'none'], { doc: "segment: saliency hints from every frame, the first frame's for all, or none", default: 'each' }),
  frames: {
    schema: frames, expects: 'A:B with A < B', fromText: framesFromText, value: 'A:B',
    show: (v) => { const f = v as { start?: unknown; end?: unknown }; return f && typeof f === 'object' ? `${f.start ?? ''}:${f.end ?? ''}` : show(v); },
    doc: 'frames A to B-1, counted from 0 (A: or :B for open ends)', default: 'all',
  },
  // The command's, not a task's: it says how a long clip is cut into runs (tasks/video-chunks.ts), not how one run trains.
  chunk: {
    schema: z.int().refine((v) => v === 0 || (v >= 3 && v <= MAX_FRAMES)), expects: `0 (off) or an integer from 3 to ${MAX_FRAMES}`, fromText: numberFromText, value: 'N',
    doc: 'run the clip as chunks of N frames, neighbours sharing a few, one after another, joined into one clip; 0: one run only',
    default: `48 for clips over ${MAX_FRAMES} frames, else off`,
  },
  fps: { schema: z.number().gt(0).max(240), expects: 'a frame rate above 0 and at most 240', fromText: numberFromText, value: 'N', doc: 'resample a video to N frames per second first', default: "the video's" },

  // The web server.
  port: int(0, 65535, { doc: 'port to listen on (0: any free port)', default: 8080 }),
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTION_SPECS;
export const OPTIONS: Record<OptionName, OptionSpec> = OPTION_SPECS;

/** Config C (separation) and B at 5 levels need a working size of at least 128 px. */
const SIZE_128 = { size: int(128, MAX_SIZE, { doc: OPTION_SPECS.size.doc, unit: 'px', default: 256 }) };

const COMMON = ['iterations', 'maxSeconds', 'size', 'seed', 'device', 'threads', 'previewEvery', 'signal', 'onProgress', 'onPreview'] as const;
const DEHAZE_RECIPE = ['passes', 'darkChannel', 'darkChannelByT', 'airlightGrid', 'airlightPull', 'transmissionHint', 'transmissionHintAfter'] as const;

/** What a task takes beyond its options: how many images. */
interface Inputs { images?: number }

interface TaskSpec {
  options: readonly OptionName[];
  /** Options whose limits differ for this task (its networks' smallest working size). */
  limits?: Partial<Record<OptionName, OptionSpec>>;
  /** Pairs of options that exclude each other. */
  exclusive?: [OptionName, OptionName][];
  /** Checks that depend on other options or on the inputs; return an error or nothing. */
  check?: (o: Record<string, unknown>, inputs: Inputs) => OptionError | undefined;
}

/** An option that does not apply with what else is given. */
const notHere = (option: string, received: unknown, why: (n: Namer) => string) =>
  new OptionError('ERR_OPTION_CONFLICT', option, received, why);

/** The options of each task, as the library, the command line and the web take them. */
export const TASK_OPTIONS = {
  segment: { options: [...COMMON, 'hint', 'box', 'growHints', 'hintsAfter', 'freeUnknown'], exclusive: [['hint', 'box']] },
  separate: {
    options: [...COMMON, 'model', 'layers', 'coefficients'], limits: SIZE_128,
    check: (o, { images }) =>
      images === 2 && o.model !== undefined ? notHere('model', o.model, (n) => `${n('model')} applies to one image; two images always use the two-mixture model`)
        : images === 1 && o.layers !== undefined ? notHere('layers', o.layers, (n) => `${n('layers')} applies to two images; one image always gives the DIP layers`)
          : images === 1 && o.coefficients !== undefined ? notHere('coefficients', o.coefficients, (n) => `${n('coefficients')} applies to two images; one image learns its one coefficient`)
            : undefined,
  },
  complexity: { options: [...COMMON, 'net'], limits: SIZE_128 },
  dehaze: {
    options: [...COMMON, 'method', 'airlight', 'dcp', ...DEHAZE_RECIPE],
    limits: { size: int(MIN_SIZE, MAX_SIZE, { doc: OPTION_SPECS.size.doc, unit: 'px', default: '128 (method dcp: the whole image)' }) },
    check: (o) => {
      const method = o.method ?? 'double-dip';
      const other = method === 'dcp' ? DEHAZE_RECIPE.find((k) => o[k] !== undefined) : o.dcp !== undefined ? 'dcp' : undefined;
      return other && notHere(other, o[other], (n) => `${n(other)} applies to ${n('method')} ${method === 'dcp' ? 'double-dip' : 'dcp'} only`);
    },
  },
  watermark: {
    options: [...COMMON, 'box', 'hint', 'runs', 'sparsity', 'exclusion', 'clean', 'markColour', 'opacity'], exclusive: [['box', 'hint']],
    limits: { size: int(MIN_SIZE, MAX_SIZE, { doc: OPTION_SPECS.size.doc, unit: 'px', default: '256 for one image, 160 for several' }) },
    check: (o, { images }) => {
      if (images === 1 && o.box === undefined && o.hint === undefined)
        return new OptionError('ERR_OPTION_MISSING', 'box', undefined,
          (n) => `One image needs the watermark region: give ${n('box')} or ${n('hint')} (or several images sharing the mark)`);
      if (images === 1 && o.clean === 'refit')
        return notHere('clean', o.clean, (n) => `${n('clean')} refit applies to several images sharing a mark; one image takes solved or net`);
      const one = images !== undefined && images > 1 ? (['box', 'hint', 'opacity'] as const).find((k) => o[k] !== undefined) : undefined;
      return one && notHere(one, o[one], (n) => one === 'opacity'
        ? `${n('opacity')} applies to one image; several images learn their shared opacity as it is`
        : `${n(one)} applies to one image; several images sharing a mark need no region`);
    },
  },
  'video segment': { options: [...COMMON, 'batch', 'hints', 'growHints'] },
  'video separate': { options: [...COMMON, 'batch'], limits: SIZE_128 },
  'video dehaze': { options: [...COMMON, 'batch', 'airlight'], limits: { size: int(MIN_SIZE, MAX_SIZE, { doc: OPTION_SPECS.size.doc, unit: 'px', default: 128 }) } },
} satisfies Record<string, TaskSpec>;

export type TaskName = keyof typeof TASK_OPTIONS;

/** One task's options as one zod object (for a registry: flags, forms, JSON Schema). */
export function taskSchema(task: TaskName): z.ZodObject {
  return z.strictObject(Object.fromEntries(TASK_OPTIONS[task].options.map((k) => [k, optionSpec(k, task).schema.optional()])));
}

/** An option's declaration, with the limits of `task` where they differ. */
export function optionSpec(option: OptionName, task?: TaskName): OptionSpec {
  return (task && (TASK_OPTIONS[task] as TaskSpec).limits?.[option]) || OPTIONS[option];
}

const CODES: Record<string, OptionError['code']> = {
  invalid_type: 'ERR_OPTION_TYPE', too_small: 'ERR_OPTION_RANGE', too_big: 'ERR_OPTION_RANGE', invalid_value: 'ERR_OPTION_CHOICE',
  not_multiple_of: 'ERR_OPTION_RANGE', custom: 'ERR_OPTION_RANGE', invalid_format: 'ERR_OPTION_CHOICE',
};

/** Checks one value against its option (with the limits of `task`); returns it, or throws OptionError. */
export function checkOption<T = unknown>(option: OptionName, value: unknown, task?: TaskName): T {
  const spec = optionSpec(option, task);
  const r = spec.schema.safeParse(value);
  if (r.success) return value as T;
  const issue = r.error.issues[0];
  // A value of the right kind that fails a refinement (an airlight of [0, 0, 0]) is out of range;
  // anything z.custom refuses (an image) is of the wrong kind.
  const code = spec.schema.def.type === 'custom' || ('origin' in issue && issue.origin === 'array') ? 'ERR_OPTION_TYPE' // an image; two numbers for a colour
    : issue.code === 'invalid_union' ? (Array.isArray(value) ? 'ERR_OPTION_RANGE' : 'ERR_OPTION_TYPE') : CODES[issue.code] ?? 'ERR_OPTION_TYPE';
  const shown = (spec.show ?? show)(value);
  throw new OptionError(code, option, value, (n) => `Expected ${spec.expects} for ${n(option)} but received ${shown}`);
}

/** The value of an option's text (command line, form), checked with `task`'s limits; throws OptionError for a text that is not one. */
export function optionFromText(option: OptionName, text: string, task?: TaskName): unknown {
  const spec = OPTIONS[option];
  if (!spec.fromText) throw new Error(`${option} has no text form`);
  return checkOption(option, spec.fromText(text, option), task);
}

/** The part of `o` that `task` takes (for a script that shares one set of options between tasks). */
export function pickOptions<T extends object>(task: TaskName, o: T): Partial<T> {
  const names = TASK_OPTIONS[task].options as readonly string[];
  return Object.fromEntries(Object.entries(o).filter(([k]) => names.includes(k))) as Partial<T>;
}

/** Which tasks take an option, for "does not apply" messages. */
const takenBy = (option: string): string[] =>
  Object.entries(TASK_OPTIONS).filter(([, t]) => (t.options as readonly string[]).includes(option)).map(([name]) => name);

/**
 * Checks a task's options object at entry: unknown names, every value against its option, options
 * that exclude each other, and (with `inputs`) options that do not apply to that many images.
 * `given`: options given in another form, counted as present for the checks between options (the
 * command line's --hint is a file name until it is read). Undefined values count as not given.
 * Returns the options; throws OptionError.
 */
export function checkOptions<T extends object>(task: TaskName, options: T | undefined, inputs: Inputs = {}, given: string[] = []): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== 'object' || Array.isArray(options))
    throw new OptionError('ERR_OPTION_TYPE', 'options', options, () => `Expected an object of options for ${task} but received ${show(options)}`);
  const spec: TaskSpec = TASK_OPTIONS[task];
  const o = options as Record<string, unknown>;
  const names = spec.options as readonly string[];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (!names.includes(k)) {
      const others = takenBy(k);
      throw new OptionError(others.length ? 'ERR_OPTION_CONFLICT' : 'ERR_OPTION_UNKNOWN', k, v, (n) => others.length
        ? `${n(k)} does not apply to ${task}: it applies to ${others.join(', ')}`
        : `Unknown option ${n(k)} for ${task}: it takes ${names.map(n).join(', ')}`);
    }
    checkOption(k as OptionName, v, task);
  }
  const present = { ...o };
  for (const g of given) present[g] ??= true;
  for (const [a, b] of spec.exclusive ?? [])
    if (present[a] !== undefined && present[b] !== undefined)
      throw new OptionError('ERR_OPTION_CONFLICT', b, o[b], (n) => `Give either ${n(a)} or ${n(b)}, not both`);
  const e = spec.check?.(present, inputs);
  if (e) throw e;
  return options;
}

/**
 * Checks an image argument: its shape fields, a data length of width x height x channels, and
 * finite values (NaN or Infinity in a pixel would only surface as a failed training run).
 */
export function checkImage(img: unknown, what: string): Image {
  const i = img as Image;
  if (!isImage(img))
    throw new OptionError('ERR_OPTION_TYPE', what, img, (n) => `Expected ${IMAGE_EXPECTS} for ${n(what)} but received ${show(img)}`);
  const bad = (why: string) => new OptionError('ERR_IMAGE_DATA', what, img, (n) => `${n(what)}: ${why}`);
  if (![i.width, i.height].every((v) => Number.isInteger(v) && v >= 1) || ![1, 3].includes(i.channels))
    throw bad(`width and height must be positive integers and channels 1 or 3, got ${show(i.width)}x${show(i.height)}x${show(i.channels)}`);
  if (i.data.length !== i.width * i.height * i.channels)
    throw bad(`its data has ${i.data.length} values but ${i.width}x${i.height}x${i.channels} needs ${i.width * i.height * i.channels}: build images with createImage()`);
  const d = i.data;
  for (let k = 0; k < d.length; k++) {
    if (Number.isFinite(d[k])) continue;
    const p = Math.floor(k / i.channels);
    throw bad(`pixel (${p % i.width}, ${Math.floor(p / i.width)}) channel ${k % i.channels} is ${d[k]}: pixel values must be finite numbers in [0, 1]`);
  }
  return i;
}
