#!/usr/bin/env node
// The `double-dip` command: relaunch under tcmalloc if available, then run the CLI.
// Help and version need no libtorch, so they skip the relaunch (one Node start instead of two).
import { fileURLToPath } from 'node:url';
import { relaunchFast } from './fast-node.mjs';

const args = process.argv.slice(2);
const quick = args.length === 0 || ['--help', '-h', 'help', '--version', '-V'].includes(args[0]) || args.includes('--help') || args.includes('-h');
if (quick || !relaunchFast(fileURLToPath(import.meta.url), args)) {
  const { handleSignals } = await import('../dist/src/cli/signals.js');
  handleSignals();
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(args);
}
