// --help text made from the task registry: a usage line, the task's own words, then its options
// and the common ones, each with its value form, its one-line doc and its default.
import { COMMON_OPTIONS, TASKS, optionFields, type OptionField, type TaskName } from '../tasks/registry.js';
import { flagName } from '../tasks/options.js';

const WIDTH = 92, COLUMN = 26;

/** Words wrapped to `width`, lines after the first indented by `indent`. */
function wrap(text: string, indent: number, first: number): string {
  const lines: string[] = [];
  let line = '', room = WIDTH - first;
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > room) { lines.push(line); line = word; room = WIDTH - indent; } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

export function optionLine(f: OptionField, flag = flagName(f.name)): string {
  const head = `  ${flag} ${f.image ? 'FILE' : f.value}`;
  const def = f.default === undefined ? undefined : `default: ${typeof f.default === 'boolean' ? (f.default ? 'yes' : 'no') : f.default}`;
  // Numbers say their range; other values say their form in the usage column already.
  const range = /^(N|W|S)$/.test(f.value) ? f.expects.replace(/^an? (integer|number)( of seconds)? /, '') : undefined;
  const notes = [range, def].filter(Boolean).join('; ');
  const text = `${f.doc}${f.unit ? `, ${f.unit}` : ''}${notes ? ` (${notes})` : ''}`;
  return head.length + 1 < COLUMN ? head.padEnd(COLUMN) + wrap(text, COLUMN, COLUMN) : `${head}\n${' '.repeat(COLUMN)}${wrap(text, COLUMN, COLUMN)}`;
}

export const OUTPUT_HELP = `  -o, --output DIR        where to write the outputs (required)
  -q, --quiet             no progress output
  --json                  machine output on stdout: progress and result as JSON lines
  -h, --help              this help`;

/** The options every task takes, with the task's limits, and the output flags. */
export function commonHelp(task: TaskName): string {
  return ['Common options:', OUTPUT_HELP, ...optionFields(task).filter((f) => COMMON_OPTIONS.includes(f.name)).map((f) => optionLine(f))].join('\n');
}

/** The help of a task's command; `command`: its words on the command line, `extra`: lines of options the command reads itself. */
export function taskHelp(task: TaskName, command = task, extra: string[] = []): string {
  const entry = TASKS[task];
  const fields = optionFields(task);
  const own = fields.filter((f) => !COMMON_OPTIONS.includes(f.name));
  return [
    `Usage: double-dip ${command} ${entry.inputs.usage} -o DIR [options]`,
    '',
    entry.about,
    '',
    ...(own.length || extra.length ? ['Options:', ...extra, ...own.map((f) => optionLine(f)), ''] : []),
    commonHelp(task),
  ].join('\n');
}
