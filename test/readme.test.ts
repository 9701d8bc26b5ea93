// The README stays a user's page: short, its pictures present, its two commands the set-up ones.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README', () => {
  test('is under ~1,200 words and keeps measurement tables in docs/benchmarks.md', () => {
    const words = readme.split(/\s+/).filter(Boolean).length;
    assert.ok(words <= 1250, `${words} words`);
    assert.ok(!/\| s \/ iteration \|/.test(readme) && !/re-measured/.test(readme), 'no measurement tables or their history');
    assert.ok(readme.includes('docs/benchmarks.md') && existsSync(join(root, 'docs', 'benchmarks.md')));
  });

  test('shows a before/after picture for each task (video: a segmentation), committed and small', () => {
    const pictures = [...readme.matchAll(/!\[[^\]]*\]\((docs\/images\/[^)]+)\)/g)].map((m) => m[1]);
    for (const task of ['segment', 'separate', 'dehaze', 'watermark', 'video']) assert.ok(pictures.includes(`docs/images/${task}.jpg`), task);
    for (const p of pictures) {
      assert.ok(existsSync(join(root, p)), `${p} exists`);
      assert.ok(statSync(join(root, p)).size < 400_000, `${p} is small`);
    }
  });

  test('has exactly the two commands: set up and run the example, set up and test', () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    assert.equal(blocks[0], 'bash scripts/setup.sh && node bin/double-dip.mjs segment examples/flower.jpg -o out/flower');
    assert.equal(blocks[1], 'bash scripts/setup.sh && npm test');
    assert.equal(readFileSync(join(root, '.ci', 'run'), 'utf8').trim().split('\n').pop(), 'bash scripts/setup.sh && npm test');
  });
});
