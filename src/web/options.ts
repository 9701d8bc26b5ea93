// A job's options as the web API takes them: each by its library name, as the text a form field
// holds ("12", "yes", "10,20,30,40", "white") or as a JSON value (12, true, [r, g, b], {x, y,
// width, height}). Text is read as the command line reads it (the option's fromText), then the
// whole is checked by the task's schema, so the words of every refusal are the library's.
import { OPTIONS, OptionError, checkOption, checkOptions, optionFromText, show, type OptionName, type TaskName } from '../tasks/options.js';
import { optionFields, type TaskEntry } from '../tasks/registry.js';

/** Options a person may set on the page beyond optionFields: how often the page gets a preview. */
const WEB_OPTIONS = new Set<string>(['previewEvery']);

/** Which frames of an uploaded clip to use: [start, end) after resampling to `fps`. */
export interface VideoSelection { start: number; end?: number; fps?: number }

export interface JobOptions {
  /** The options as the schema checked them (JSON values; no image). */
  options: Record<string, unknown>;
  /** The hint mask as sent (base64 or a data: URL), when the task takes one and it was given. */
  hint?: string;
}

const given = (v: unknown) => v !== undefined && v !== null && v !== '';

/** A value as sent: text through the option's own reading, anything else as it is. */
function valueOf(name: string, v: unknown, task?: TaskName): unknown {
  const spec = OPTIONS[name as OptionName];
  return typeof v === 'string' && spec?.fromText ? optionFromText(name as OptionName, v, task) : v;
}

/**
 * Reads and checks a job's options for `task` with `images` inputs (undefined for a clip).
 * Throws OptionError (its message names each option as its JSON field, with format(fieldName)).
 */
export function readJobOptions(task: TaskEntry, raw: Record<string, unknown>, images: number | undefined): JobOptions {
  const settable = new Set<string>([...optionFields(task.name).map((f) => f.name), ...WEB_OPTIONS]);
  const o: Record<string, unknown> = {};
  let hint: string | undefined;
  const files: string[] = [];
  for (const [name, v] of Object.entries(raw)) {
    // A clip's frames and rate choose the input (readSelection), they are not the task's options.
    if (!given(v) || (task.inputs.kind === 'video' && (name === 'frames' || name === 'fps'))) continue;
    if ((task.imageOptions as readonly string[]).includes(name)) {
      if (typeof v !== 'string')
        throw new OptionError('ERR_OPTION_TYPE', name, v, (n) => `Expected an image as a base64 string or data: URL for ${n(name)} but received ${show(v)}`);
      hint = v;
      files.push(name);
      continue;
    }
    // An option of the task that only a program can give (a callback, a signal): the server sets those.
    if (!settable.has(name) && (task.options as readonly string[]).includes(name))
      throw new OptionError('ERR_OPTION_UNKNOWN', name, v, (n) => `${n(name)} is set by the server, not by a request: leave it out`);
    o[name] = valueOf(name, v, task.name);
  }
  const options = checkOptions(task.name, o, images === undefined ? {} : { images }, files);
  return { options, ...(hint === undefined ? {} : { hint }) };
}

/** The frames of a clip to use, from `frames` ("A:B" or {start, end}) and `fps`, read by their option specs. */
export function readSelection(raw: Record<string, unknown>): VideoSelection {
  const frames = given(raw.frames) ? checkOption('frames', valueOf('frames', raw.frames)) as { start: number; end?: number } : { start: 0 };
  const fps = given(raw.fps) ? checkOption('fps', valueOf('fps', raw.fps)) as number : undefined;
  return { start: frames.start, ...(frames.end === undefined ? {} : { end: frames.end }), ...(fps === undefined ? {} : { fps }) };
}
