#!/usr/bin/env node
// The `double-dip` command: relaunch under tcmalloc if available, then run the CLI.
import { fileURLToPath } from 'node:url';
import { relaunchFast } from './fast-node.mjs';

if (!relaunchFast(fileURLToPath(import.meta.url), process.argv.slice(2))) {
  const { handleSignals } = await import('../dist/src/cli/signals.js');
  handleSignals();
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
