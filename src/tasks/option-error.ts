// The error every option check throws: which option, the value received, a code, and a message
// whose option names each surface renders its own way (--max-seconds, "maxSeconds", maxSeconds).
import { DoubleDipError } from '../core/errors.js';

export type OptionErrorCode =
  | 'ERR_OPTION_TYPE' // not the kind of value the option takes (a string for a number, 1.5 for an integer, NaN)
  | 'ERR_OPTION_RANGE' // the right kind, outside the limits (or too small for the image)
  | 'ERR_OPTION_CHOICE' // not one of the option's words
  | 'ERR_OPTION_CONFLICT' // options that exclude each other, or one that does not apply here
  | 'ERR_OPTION_MISSING' // a needed option not given
  | 'ERR_OPTION_UNKNOWN' // no such option for this task
  | 'ERR_IMAGE_DATA'; // an image argument whose data is not an image (length, NaN or Infinity)

/** Renders an option's library name (e.g. maxSeconds) as a surface shows it. */
export type Namer = (option: string) => string;

export class OptionError extends DoubleDipError {
  override name = 'OptionError';
  declare readonly code: OptionErrorCode;
  constructor(code: OptionErrorCode, readonly option: string, readonly received: unknown,
    private readonly template: (name: Namer) => string) {
    super(code, template((n) => n));
  }

  /** The message with every option name rendered by `name`. */
  format(name: Namer): string {
    return this.template(name);
  }
}

/** The command line's name of an option: --max-seconds. */
export const flagName: Namer = (option) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The web API's name of an option: its JSON field, quoted. */
export const fieldName: Namer = (option) => `"${option}"`;

/** A received value as a message shows it: strings quoted, NaN as NaN, arrays and objects inline, shortened. */
export function show(v: unknown, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (v === null || typeof v !== 'object') return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  if (depth > 1) return Array.isArray(v) ? '[...]' : '{...}';
  const more = (n: number) => (n > 6 ? ', ...' : '');
  if (Array.isArray(v)) return `[${v.slice(0, 6).map((x) => show(x, depth + 1)).join(', ')}${more(v.length)}]`;
  const keys = Object.keys(v);
  return `{${keys.slice(0, 6).map((k) => `${k}: ${show((v as Record<string, unknown>)[k], depth + 1)}`).join(', ')}${more(keys.length)}}`;
}
