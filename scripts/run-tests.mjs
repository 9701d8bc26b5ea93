// Runs the compiled test files with Node's test runner, under tcmalloc (see bin/fast-node.mjs).
// Usage: npm test [-- name-filter]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { relaunchFast } from '../bin/fast-node.mjs';

const here = new URL('.', import.meta.url).pathname;
if (!relaunchFast(join(here, 'run-tests.mjs'), process.argv.slice(2))) {
  const dir = join(here, '..', 'dist', 'test');
  const filter = process.argv[2];
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js') && (!filter || f.includes(filter))).sort().map((f) => join(dir, f));
  if (files.length === 0) { console.error(`no test files in ${dir}: run npm run build first`); process.exit(1); }
  // One file at a time: tests train networks and share the machine's two cores.
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
