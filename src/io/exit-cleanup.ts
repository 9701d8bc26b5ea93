// What must not outlive the process: temporary frame folders, half-written outputs, ffmpeg
// children. Each owner registers an undo step and drops it when done; whatever is still
// registered when the process exits (normally, by process.exit after a signal, or on an
// uncaught error) is undone then, newest first. Steps must be synchronous: 'exit' handlers
// cannot wait.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const steps = new Set<() => void>();

/** Runs `undo` if the process exits before the returned function is called. */
export function undoOnExit(undo: () => void): () => void {
  steps.add(undo);
  return () => { steps.delete(undo); };
}

/** Runs every registered step now (newest first) and forgets them. */
export function runExitCleanups(): void {
  for (const undo of [...steps].reverse()) {
    steps.delete(undo);
    try { undo(); } catch { /* best effort: the process is ending */ }
  }
}

process.on('exit', runExitCleanups);

/** True when a process with this id runs here. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/**
 * Removes what a killed run (SIGKILL: no handler could run) left in `dir`: entries named
 * `<prefix><pid>-...` whose process is gone. Only our own prefixes, only dead owners.
 */
export function removeStale(dir: string, prefix: string): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}
