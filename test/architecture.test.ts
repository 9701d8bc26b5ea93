// The layers stay layers: tasks are recipes (no tensor memory, no global settings), io/ does not
// reach up into tasks/, and no module imports itself through others.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Tests run from dist/test/; the sources are at the repository root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}
const sources = files(src);
const text = new Map(sources.map((f) => [f, readFileSync(f, 'utf8')]));

/** The project modules a file loads (static and dynamic imports; `import type` loads nothing), as source paths. */
function imports(file: string): string[] {
  const out: string[] = [];
  for (const m of text.get(file)!.matchAll(/^(import|export)(\s+type)?[^;]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'/gms)) {
    if (m[2]) continue;
    out.push(resolve(dirname(file), (m[3] ?? m[4]).replace(/\.js$/, '.ts')));
  }
  return out.filter((f) => text.has(f));
}

describe('architecture', () => {
  test('no file under src/tasks/ manages tensor memory or sets a process-wide setting', () => {
    for (const f of sources.filter((f) => f.startsWith(join(src, 'tasks')))) {
      const code = text.get(f)!.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const call of ['tidy(', 'keep(', 'dispose(', 'setNumThreads(', 'setDefaultDevice(', 'manualSeed(', 'tensor/index.js'])
        assert.ok(!code.includes(call), `${relative(root, f)} uses ${call}`);
    }
  });

  test('no file under src/io/ imports src/tasks/', () => {
    for (const f of sources.filter((f) => f.startsWith(join(src, 'io')))) {
      const up = imports(f).filter((i) => i.startsWith(join(src, 'tasks')));
      assert.deepEqual(up.map((i) => relative(root, i)), [], `${relative(root, f)} imports tasks/`);
    }
  });

  test('no import cycles (modules that load each other)', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(' -> ')); return; }
      state.set(f, 'open');
      for (const i of imports(f)) visit(i, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of sources) visit(f, []);
    assert.deepEqual(cycles, []);
  });
});
