// The progress bar in a real terminal (a pty from util-linux `script`): it must redraw in place,
// never wider than the terminal, at 80 columns and at 40.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ttyLine } from '../src/cli/progress.js';

const bin = join(process.cwd(), 'bin', 'double-dip.mjs');
const example = join(process.cwd(), 'examples', 'coffee.png');
const hasScript = spawnSync('script', ['--version']).status === 0;

const p = { iteration: 1234, total: 2000, phase: 'joint', loss: 0.01234, psnr: 27.5, bestPsnr: 27.5, elapsed: 65, eta: 3700 } as never;

test('a progress line fits the width it is given, most useful parts first', () => {
  for (const cols of [20, 40, 60, 80, 120, 200]) {
    const line = ttyLine('segment', p, cols);
    assert.ok([...line].length <= cols - 1, `${cols} columns: ${line}`);
    assert.match(line, /1234\/2000/);
  }
  assert.match(ttyLine('segment', p, 80), /█+░+ 1234\/2000 ETA 1h01m loss 0.0123/);
  assert.doesNotMatch(ttyLine('segment', p, 40), /elapsed/);
});

for (const cols of [80, 40]) {
  test(`in a ${cols}-column terminal the bar redraws in place on one line`, { skip: !hasScript && 'util-linux script is not installed' }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dd-progress-')), 'o');
    const cmd = `stty cols ${cols} rows 20; node ${bin} segment ${example} -o ${out} --size 64 --iterations 12`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    // Everything before the summary is one terminal line: redraws separated by \r, no newline.
    const bar = r.stdout.slice(0, r.stdout.indexOf('\n'));
    const draws = bar.split('\r').filter(Boolean).map((d) => d.replace(/\x1b\[K/g, ''));
    assert.ok(draws.length >= 2, `several redraws expected, got ${JSON.stringify(bar)}`);
    for (const d of draws) assert.ok([...d].length <= cols - 1, `a redraw wider than ${cols - 1}: ${JSON.stringify(d)}`);
    assert.match(draws[draws.length - 1], /12\/12/);
  });
}
