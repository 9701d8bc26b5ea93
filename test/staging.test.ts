// Outputs appear in the output folder all together or not at all (src/io/staging.ts), and the
// output folder is checked without being made (src/io/output-dir.ts). In-process, no training.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Staging } from '../src/io/staging.js';
import { checkOutputDir } from '../src/io/output-dir.js';
import { writeTaskResult } from '../src/io/outputs.js';
import { createImage } from '../src/image/image.js';
import type { TaskResult } from '../src/tasks/common.js';

const tmp = mkdtempSync(join(tmpdir(), 'dd-staging-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ls = (d: string) => readdirSync(d).sort();

describe('staged outputs', () => {
  test('commit moves everything in, merges into folders already there, keeps the user\'s files', () => {
    const dir = join(tmp, 'merge');
    mkdirSync(join(dir, 'mask'), { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'mask', 'mine.png'), 'mine');
    writeFileSync(join(dir, 'report.json'), 'old');
    const s = Staging.open(dir);
    mkdirSync(s.file('mask'));
    writeFileSync(s.file('mask/00001.png'), 'new');
    writeFileSync(s.file('report.json'), 'new');
    assert.deepEqual(ls(dir).filter((f) => !f.startsWith('.')), ['mask', 'notes.txt', 'report.json']);
    assert.equal(readFileSync(join(dir, 'report.json'), 'utf8'), 'old'); // nothing visible before the commit
    s.commit();
    assert.deepEqual(ls(dir), ['mask', 'notes.txt', 'report.json']);
    assert.deepEqual(ls(join(dir, 'mask')), ['00001.png', 'mine.png']);
    assert.equal(readFileSync(join(dir, 'report.json'), 'utf8'), 'new');
  });

  test('abort leaves a folder that was there as it was, and removes the folders it made', () => {
    const there = join(tmp, 'there');
    mkdirSync(there);
    writeFileSync(join(there, 'notes.txt'), 'mine');
    const a = Staging.open(there);
    writeFileSync(a.file('mask.png'), 'x');
    a.abort();
    assert.deepEqual(ls(there), ['notes.txt']);
    const made = join(tmp, 'made', 'deeper');
    const b = Staging.open(made);
    writeFileSync(b.file('mask.png'), 'x');
    b.abort();
    assert.equal(existsSync(join(tmp, 'made')), false);
  });

  test('a name taken by the other kind (a folder called mask.png) is refused before anything moves', () => {
    const dir = join(tmp, 'clash');
    mkdirSync(join(dir, 'mask.png'), { recursive: true });
    const s = Staging.open(dir);
    writeFileSync(s.file('a.png'), 'x');
    writeFileSync(s.file('mask.png'), 'x');
    assert.throws(() => s.commit(), /Cannot write ".*mask\.png": a folder of that name is in the way\. Move it, or pick another output folder/);
    s.abort();
    assert.deepEqual(ls(dir), ['mask.png']);
  });

  test('what a killed run left (its pid gone) is removed by the next run; a running one\'s is kept', () => {
    const dir = join(tmp, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(dir, `.double-dip-partial-${dead}-abc`), { recursive: true });
    mkdirSync(join(dir, `.double-dip-partial-${process.ppid}-abc`));
    Staging.open(dir).abort();
    assert.deepEqual(ls(dir), [`.double-dip-partial-${process.ppid}-abc`]);
  });

  test('a process that exits mid-write leaves nothing: the exit cleanup removes the staging folder and the folder it made', () => {
    const dir = join(tmp, 'exit', 'out');
    const script = `import { Staging } from ${JSON.stringify(new URL('../src/io/staging.js', import.meta.url).href)};
      import { writeFileSync } from 'node:fs';
      const s = Staging.open(${JSON.stringify(dir)}); writeFileSync(s.file('mask.png'), 'x'); process.exit(143);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 143, r.stderr);
    assert.equal(existsSync(join(tmp, 'exit')), false);
  });

  test('writeTaskResult makes missing parents and leaves no staging folder', async () => {
    const dir = join(tmp, 'new', 'deeper', 'out');
    const img = createImage(20, 16, 3);
    const result = { task: 'segment', images: { mask: img }, history: [],
      report: { task: 'segment', inputs: [] } } as unknown as TaskResult;
    const written = await writeTaskResult(dir, result);
    assert.deepEqual(written, [join(dir, 'mask.png'), join(dir, 'report.json')]);
    assert.deepEqual(ls(dir), ['mask.png', 'report.json']);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).outputs, ['mask.png', 'report.json']);
  });
});

describe('checkOutputDir', () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    [file, /it is a file, not a folder/],
    [join(file, 'sub', 'deeper'), /a-file" is a file, so no folder can be made under it/],
    ['/proc/x', /on proc, a kernel file system/],
    ['/proc/self/fd/x', /on proc, a kernel file system/],
    ['/sys/x', /on sysfs, a kernel file system/],
    ['/dev/x', /on \/dev, a kernel file system/],
  ];
  for (const [dir, message] of cases) test(`refuses ${dir.replace(tmp, 'TMP')}`, async () => {
    await assert.rejects(checkOutputDir(dir), message);
  });

  test('takes a new folder under missing parents without making it, and an existing one', async () => {
    await checkOutputDir(join(tmp, 'not', 'yet', 'there'));
    assert.equal(existsSync(join(tmp, 'not')), false);
    await checkOutputDir(tmp);
    await checkOutputDir('.');
    if (existsSync('/dev/shm')) await checkOutputDir('/dev/shm/double-dip-x'); // a tmpfs meant for files
  });
});
