// --help answers at once: it loads neither libtorch nor sharp (the command list and every
// command's help are made from the registry). Checked by what the process has mapped, not by time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href;

/** Runs main(argv) in a fresh node; returns its stdout and the shared objects it had mapped at the end. */
function helpIn(argv: string[]): { code: number | null; stdout: string; mapped: string } {
  const script = `const { main } = await import(${JSON.stringify(main)});
    const code = await main(${JSON.stringify(argv)});
    const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
    process.stderr.write('MAPS ' + JSON.stringify([...new Set(maps.split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('.so') || p && p.endsWith('.node')))]) + '\\n');
    process.exitCode = code;`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, DOUBLE_DIP_NO_RELAUNCH: '1' } });
  return { code: r.status, stdout: r.stdout, mapped: /MAPS (.*)/.exec(r.stderr)?.[1] ?? r.stderr };
}

describe('--help is light', () => {
  for (const argv of [['--help'], ['segment', '--help'], ['separate', '--help'], ['dehaze', '--help'], ['watermark', '--help'],
    ['video', '--help'], ['complexity', '--help'], ['serve', '--help'], ['batch', '--help'], ['worker', '--help']]) {
    test(`double-dip ${argv.join(' ')} loads neither libtorch nor sharp`, () => {
      const r = helpIn(argv);
      assert.equal(r.code, 0, r.mapped);
      assert.match(r.stdout, /Usage: double-dip/);
      assert.ok(r.mapped.startsWith('['), r.mapped);
      assert.ok(!/libtorch|libc10|double_dip\.node/.test(r.mapped), `libtorch mapped: ${r.mapped}`);
      assert.ok(!/sharp/.test(r.mapped), `sharp mapped: ${r.mapped}`);
    });
  }

  test('and the check sees libtorch when a command does load it', () => {
    const r = helpIn(['segment', 'no-such-file.png', '-o', '/nonexistent/x', '--size', '64']);
    assert.notEqual(r.code, 0);
    assert.ok(/sharp/.test(r.mapped), 'reading the image loads sharp');
  });
});
