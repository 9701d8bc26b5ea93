#!/usr/bin/env node
// Builds native/build/double_dip.node with CMake against libtorch.
//   default:           Debian's libtorch-dev (apt-get install libtorch-dev)
//   LIBTORCH=/path:    a downloaded libtorch (CPU or CUDA), the folder holding share/cmake/Torch,
//                      or PyTorch's Python package (its torch/ folder, or torch.utils.cmake_prefix_path)
//   LIBTORCH=python:   the torch package that python3 (or $PYTHON) imports
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
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
/** The torch package's folder of the Python that `python` runs. */
function pythonTorch(python) {
  const r = spawnSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    fail(`LIBTORCH=python: ${python} could not import torch (${(r.error?.message ?? r.stderr.trim().split('\n').pop()) || 'no output'}). ` +
      'Install PyTorch for it (pip install torch), set PYTHON to the Python that has it, or set LIBTORCH to a libtorch folder.');
  return r.stdout.trim();
}

const given = process.env.LIBTORCH;
if (given) {
  let libtorch = resolve(given === 'python' ? pythonTorch(process.env.PYTHON ?? 'python3') : given);
  // torch.utils.cmake_prefix_path is <torch>/share/cmake.
  if (basename(libtorch) === 'cmake' && basename(dirname(libtorch)) === 'share') libtorch = dirname(dirname(libtorch));
  if (!existsSync(join(libtorch, 'share', 'cmake', 'Torch')))
    fail(`LIBTORCH=${given} has no share/cmake/Torch. Point LIBTORCH at the unzipped libtorch folder, at PyTorch's torch folder, or set LIBTORCH=python.`);
  if (existsSync(join(libtorch, '__init__.py'))) {
    // PyTorch's Python wheel: linked directly (CMakeLists.txt says why).
    args.push(`-DDD_TORCH_WHEEL=${realpathSync(libtorch)}`);
  } else {
    args.push('-DDD_TORCH_WHEEL=', `-DCMAKE_PREFIX_PATH=${libtorch}`, `-DTorch_DIR=${join(libtorch, 'share', 'cmake', 'Torch')}`);
  }
} else {
  // The last build's choice stays in CMake's cache: forget it, so that this one finds Debian's.
  args.push('-DDD_TORCH_WHEEL=', '-UTorch_DIR', '-UCaffe2_DIR', '-UCMAKE_PREFIX_PATH');
}
if (!given && !existsSync('/usr/lib/x86_64-linux-gnu/cmake/Torch') && !existsSync('/usr/lib/aarch64-linux-gnu/cmake/Torch')) {
  fail('libtorch not found. Install Debian\'s: apt-get install libtorch-dev (or run scripts/setup.sh), ' +
    'or set LIBTORCH=/path/to/libtorch for a downloaded CPU or CUDA build, or LIBTORCH=python for PyTorch\'s.');
}
run('cmake', args);
run('cmake', ['--build', build, '--parallel', String(Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())))]);
