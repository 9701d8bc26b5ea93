// The npm package as a user gets it: pack, install the tarball into an empty project (which
// builds the addon against this machine's libtorch), then run the command and import the library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const version = (JSON.parse(spawnSync('npm', ['pkg', 'get', 'version'], { encoding: 'utf8', cwd: root }).stdout) as string);

function sh(cmd: string, args: string[], o: SpawnSyncOptions): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { ...o, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { stdout: String(r.stdout), stderr: String(r.stderr) };
}

test('npm pack holds only what users need; the installed package runs', { timeout: 600_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dd-pack-'));
  // dist/ is already built by the time tests run; --ignore-scripts skips prepack's rebuild of it.
  const packed = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const must of ['LICENSE', 'README.md', 'bin/double-dip.mjs', 'dist/src/index.js', 'dist/src/index.d.ts', 'native/build.mjs',
    'native/CMakeLists.txt', 'native/src/binding.cc', 'dist/src/web/static/index.html'])
    assert.ok(files.includes(must), `the package lacks ${must}`);
  for (const f of files)
    assert.doesNotMatch(f, /^(test|bench|scripts|\.ci|docs|dist\/test|dist\/bench|native\/build)\/|\.map$/, `the package should not hold ${f}`);

  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, info.filename)], { cwd: app });

  const v = sh('npx', ['--no-install', 'double-dip', '--version'], { cwd: app });
  assert.equal(v.stdout.trim(), `double-dip ${version}`);
  const example = join(app, 'node_modules', 'double-dip', 'examples', 'flower.jpg');
  sh('npx', ['--no-install', 'double-dip', 'segment', example, '-o', 'out', '--iterations', '5', '--size', '64', '--quiet'], { cwd: app });
  assert.ok(existsSync(join(app, 'out', 'mask.png')) && existsSync(join(app, 'out', 'report.json')), readdirSync(join(app, 'out')).join(', '));
  const lib = sh('node', ['-e', "import('double-dip').then((m) => console.log(typeof m.segment, typeof m.readImage))"], { cwd: app });
  assert.equal(lib.stdout.trim(), 'function function');
});

test('native/build.mjs: a LIBTORCH without libtorch, or a Python without torch, stops before CMake and names the fix', () => {
  const addon = join(root, 'native', 'build', 'double_dip.node');
  const before = existsSync(addon) ? statSync(addon).mtimeMs : null;
  const empty = mkdtempSync(join(tmpdir(), 'dd-libtorch-'));
  const build = (env: Record<string, string>) => spawnSync(process.execPath, [join(root, 'native', 'build.mjs')], { encoding: 'utf8', env: { ...process.env, ...env } });

  const noTorch = build({ LIBTORCH: empty });
  assert.equal(noTorch.status, 1);
  assert.match(noTorch.stderr, /LIBTORCH=.* has no share\/cmake\/Torch\. Point LIBTORCH at the unzipped libtorch folder, at PyTorch's torch folder, or set LIBTORCH=python/);
  const noPython = build({ LIBTORCH: 'python', PYTHON: join(empty, 'no-such-python') });
  assert.equal(noPython.status, 1);
  assert.match(noPython.stderr, /LIBTORCH=python: .*no-such-python could not import torch .*pip install torch/);
  assert.equal(existsSync(addon) ? statSync(addon).mtimeMs : null, before, 'the addon was rebuilt or removed');
});
