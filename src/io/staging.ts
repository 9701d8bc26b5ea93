// A run's outputs are written into a temporary folder inside the output folder,
// DIR/.double-dip-partial-<pid>-XXXXXX/, and moved into DIR once all are written, by
// synchronous renames with report.json last. A signal handler cannot run between synchronous
// calls, so a second Ctrl-C or SIGTERM finds DIR either as it was or with the whole set; the
// temporary folder is removed on every exit path (exit-cleanup.ts), as is DIR when this run
// made it. Files in DIR that the run does not write are never touched.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { removeStale, undoOnExit } from './exit-cleanup.js';

const PREFIX = '.double-dip-partial-';

export class Staging {
  private readonly forget: () => void;

  private constructor(readonly dir: string, readonly path: string, private readonly created: string | undefined) {
    this.forget = undoOnExit(() => this.abort());
  }

  /**
   * Makes DIR (and its missing parents) and a temporary folder inside it. Synchronous, so that no
   * signal handler runs between making a folder and registering its removal.
   */
  static open(dir: string): Staging {
    const created = mkdirSync(dir, { recursive: true });
    removeStale(dir, PREFIX);
    let path;
    try {
      path = mkdtempSync(join(dir, `${PREFIX}${process.pid}-`));
    } catch (e) {
      removeCreated(dir, created);
      throw e;
    }
    return new Staging(dir, path, created);
  }

  /** Where to write `name` (relative to DIR) before the commit. */
  file(name: string): string {
    return join(this.path, name);
  }

  /** Moves everything written into DIR, `last` after the rest; folders are merged into existing ones. */
  commit(last = 'report.json'): void {
    const names = readdirSync(this.path).sort((a, b) => Number(a === last) - Number(b === last));
    for (const n of names) checkTarget(join(this.path, n), join(this.dir, n));
    for (const n of names) move(join(this.path, n), join(this.dir, n));
    this.forget();
    rmSync(this.path, { recursive: true, force: true });
  }

  /** Removes the temporary folder, and DIR when this run made it and it is empty. Synchronous. */
  abort(): void {
    this.forget();
    // Retried: a write still running in a worker thread may add a file while the folder is removed.
    rmSync(this.path, { recursive: true, force: true, maxRetries: 5, retryDelay: 5 });
    removeCreated(this.dir, this.created);
  }
}

/** A file cannot replace a folder nor a folder a file: refused before anything moves. */
function checkTarget(from: string, to: string): void {
  let target;
  try { target = statSync(to); } catch { return; }
  const isDir = statSync(from).isDirectory();
  if (isDir !== target.isDirectory())
    throw new Error(`Cannot write "${to}": a ${target.isDirectory() ? 'folder' : 'file'} of that name is in the way. Move it, or pick another output folder.`);
  if (isDir) for (const n of readdirSync(from)) checkTarget(join(from, n), join(to, n));
}

function move(from: string, to: string): void {
  let existing = false;
  try { existing = statSync(to).isDirectory(); } catch { /* not there */ }
  if (!existing) return renameSync(from, to);
  for (const n of readdirSync(from)) move(join(from, n), join(to, n));
}

/** rmdir from `dir` up to `created` (mkdir -p's first new folder), stopping at the first that is not empty. */
function removeCreated(dir: string, created: string | undefined): void {
  if (!created) return;
  const top = resolve(created);
  for (let d = resolve(dir); ; d = dirname(d)) {
    try { rmdirSync(d); } catch { return; }
    if (d === top || dirname(d) === d) return;
  }
}
