#!/usr/bin/env node
// Builds native/build/double_dip.node with CMake against libtorch.
//   default:           Debian's libtorch-dev (apt-get install libtorch-dev)
//   LIBTORCH=/path:    a downloaded libtorch (CPU or CUDA), the folder holding share/cmake/Torch
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const build = join(here, 'build');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}. Install it: apt-get install cmake g++ make`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}).`);
}
function fail(msg) {
  console.error(`double-dip native build: ${msg}`);
  process.exit(1);
}

const napiHeaders = require('node-api-headers').include_dir;
const addonApi = dirname(require.resolve('node-addon-api/package.json'));
const args = ['-S', here, '-B', build, '-DCMAKE_BUILD_TYPE=Release',
  `-DNODE_API_HEADERS_DIR=${napiHeaders}`, `-DNODE_ADDON_API_DIR=${addonApi}`];
const libtorch = process.env.LIBTORCH;
if (libtorch) {
  if (!existsSync(join(libtorch, 'share', 'cmake', 'Torch')))
    fail(`LIBTORCH=${libtorch} has no share/cmake/Torch. Point LIBTORCH at the unzipped libtorch folder.`);
  args.push(`-DCMAKE_PREFIX_PATH=${libtorch}`, `-DTorch_DIR=${join(libtorch, 'share', 'cmake', 'Torch')}`);
} else if (!existsSync('/usr/lib/x86_64-linux-gnu/cmake/Torch') && !existsSync('/usr/lib/aarch64-linux-gnu/cmake/Torch')) {
  fail('libtorch not found. Install Debian\'s: apt-get install libtorch-dev (or run scripts/setup.sh), ' +
    'or set LIBTORCH=/path/to/libtorch for a downloaded CPU or CUDA build.');
}
run('cmake', args);
run('cmake', ['--build', build, '--parallel', String(Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())))]);
