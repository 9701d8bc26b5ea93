// Options every command shares, parsed and checked the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { TaskOptions } from '../tasks/common.js';
import { checkOutputDir } from '../io/output-dir.js';
import { closest } from './suggest.js';
import { OPTIONS, checkOptions, optionFromText, type OptionName, type TaskName } from '../tasks/options.js';

export class UsageError extends Error {}

export const COMMON_OPTIONS = {
  output: { type: 'string', short: 'o' },
  iterations: { type: 'string' },
  'max-seconds': { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];


export function parse(argv: string[], options: ParseArgsConfig['options']): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const all = { ...COMMON_OPTIONS, ...options };
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: true, strict: true }) as never;
  } catch (e) {
    throw new UsageError(parseError(e as Error & { code?: string }, Object.keys(all)));
  }
}

/** Node's parseArgs messages, said in one sentence with the fix (and the nearest option for a typo). */
function parseError(e: Error & { code?: string }, known: string[]): string {
  const flag = /'(?:-\w, )?(-{1,2}[\w-]+)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const guess = flag.startsWith('--') ? closest(flag.slice(2), known) : undefined;
    return `Unknown option ${flag}${guess ? `: did you mean --${guess}?` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    if (/argument is ambiguous/.test(e.message)) return `Option ${flag} needs a value; for one that starts with a dash write ${flag}=VALUE (e.g. ${flag}=-1)`;
    return /argument missing/.test(e.message) ? `Option ${flag} needs a value, e.g. ${flag} VALUE` : `Option ${flag} takes no value`;
  }
  return e.message;
}

/** parseArgs values that are not task options: the output, the output modes, and inputs read by the command itself. */
const NOT_TASK_OPTIONS = new Set(['output', 'quiet', 'json', 'help', 'frames', 'fps', 'chunk']);

/**
 * The task options given as flags, read from their text and checked by the task's schema, as the
 * library checks them (an OptionError; main renders its names as flags). `images`: how many
 * images were given. Options without a text form (--hint, a file) count as given for the checks
 * between options and are read by the command.
 */
export function taskOptions<T extends object = TaskOptions>(values: Record<string, unknown>, task: TaskName, images?: number): T {
  const o: Record<string, unknown> = {};
  const given: string[] = [];
  for (const [flag, text] of Object.entries(values)) {
    const name = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (typeof text !== 'string' || NOT_TASK_OPTIONS.has(name) || !(name in OPTIONS)) continue;
    if (OPTIONS[name as OptionName].fromText) o[name] = optionFromText(name as OptionName, text, task);
    else given.push(name);
  }
  return checkOptions(task, o as T, images === undefined ? {} : { images }, given);
}

/** The -o folder, checked before any work (output-dir.ts): a run that cannot write must not train first. */
export async function requireOutput(values: Record<string, unknown>): Promise<string> {
  const out = values.output as string | undefined;
  if (!out) throw new UsageError('Missing -o DIR: say where to write the outputs');
  await checkOutputDir(out);
  return out;
}
