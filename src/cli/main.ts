// The `double-dip` command: dispatches to one module per subcommand.
import { readFileSync } from 'node:fs';
import { UsageError } from './options.js';
import { closest } from './suggest.js';
import { OptionError, flagName } from '../tasks/options.js';
import { TASKS, type TaskName } from '../tasks/registry.js';

interface Command { summary: string; help: string; run(argv: string[]): Promise<number> }

// The image tasks' commands come from the task registry; the others are modules of their own.
// Summaries are here so that the command list loads no command (and no libtorch): --help is quick.
const imageTask = (name: TaskName) => async (): Promise<Command> => (await import('./commands/task.js')).imageTaskCommand(name);
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  segment: { summary: TASKS.segment.summary, load: imageTask('segment') },
  separate: { summary: TASKS.separate.summary, load: imageTask('separate') },
  complexity: { summary: "one DIP's loss curve per image: mixtures are harder to learn than their layers", load: () => import('./commands/complexity.js') },
  dehaze: { summary: TASKS.dehaze.summary, load: imageTask('dehaze') },
  watermark: { summary: TASKS.watermark.summary, load: imageTask('watermark') },
  serve: { summary: 'local web app: upload images or a video, run tasks, watch them train, download the results', load: () => import('./commands/serve.js') },
  batch: { summary: 'many jobs: one per image (or per manifest line), in-process or over Redis workers', load: () => import('./commands/batch.js') },
  worker: { summary: 'take jobs from a Redis queue (filled by double-dip batch or serve --queue) until stopped', load: () => import('./commands/worker.js') },
  video: { summary: 'video decomposition: segment | separate | dehaze a clip (one DIP per layer for all frames)', load: () => import('./commands/video.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `Usage: double-dip COMMAND [options]   (double-dip COMMAND --help for details)

Unsupervised image decomposition with coupled Deep Image Priors (Gandelsman, Shocher & Irani, CVPR 2019).

Commands:
${lines.join('\n')}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    process.stdout.write(`double-dip ${version()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const load = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name].load : undefined;
  try {
    if (!load) {
      const guess = closest(name, Object.keys(COMMANDS));
      throw new UsageError(`Unknown command "${name}"${guess ? `: did you mean "${guess}"?` : '.'} Commands: ${Object.keys(COMMANDS).join(', ')}`);
    }
    return await (await load()).run(rest);
  } catch (e) {
    const err = e as Error;
    // A bad option is a usage error wherever it is found (here, or at a task's entry).
    const usage = err instanceof UsageError || err instanceof OptionError;
    process.stderr.write(`double-dip ${name}: error: ${err instanceof OptionError ? err.format(flagName) : err.message}\n`);
    if (usage) process.stderr.write(`Run "double-dip ${COMMANDS[name] ? name + ' ' : ''}--help" for usage.\n`);
    if (process.env.DOUBLE_DIP_DEBUG) process.stderr.write(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}

/** The package's version, read from package.json (dist/src/cli/main.js -> ../../../package.json). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
