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
  // A hung test fails after 5 minutes (the slowest takes well under one), and the whole run stops
  // after an hour, so a hang (a queue test waiting on Redis) cannot hold a CI machine.
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files],
    { stdio: 'inherit', timeout: 60 * 60 * 1000, killSignal: 'SIGKILL' });
  if (r.error) console.error(`tests stopped: ${r.error.message}`);
  process.exit(r.status ?? 1);
}
