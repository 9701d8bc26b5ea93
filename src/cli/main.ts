// The `double-dip` command: dispatches to one module per subcommand.
import { readFileSync } from 'node:fs';
import { UsageError } from './options.js';
import { closest } from './suggest.js';
import { OptionError, flagName } from '../tasks/options.js';

interface Command { summary: string; help: string; run(argv: string[]): Promise<number> }

const COMMANDS: Record<string, () => Promise<Command>> = {
  segment: () => import('./commands/segment.js'),
  separate: () => import('./commands/separate.js'),
  complexity: () => import('./commands/complexity.js'),
  dehaze: () => import('./commands/dehaze.js'),
  watermark: () => import('./commands/watermark.js'),
  serve: () => import('./commands/serve.js'),
  video: () => import('./commands/video.js'),
};

async function usage(): Promise<string> {
  const lines = await Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(12)} ${(await load()).summary}`));
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
    process.stdout.write((await usage()) + '\n');
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
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
