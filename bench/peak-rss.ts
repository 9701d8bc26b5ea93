// Runs a command and returns the peak resident memory of the Node process that did the work.
// bin/double-dip.mjs relaunches Node under tcmalloc, so the work is done by a child: every Node
// process of the command reports its own peak (peak-rss-hook.ts, loaded through NODE_OPTIONS) and
// the largest is the worker's (the launcher only waits). Linux only (/proc/self/status VmHWM).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PeakRun {
  code: number | null;
  stderr: string;
  /** Peak RSS of each Node process of the command, MiB, largest first. */
  processes: { pid: number; ppid: number; mib: number; tcmalloc: boolean }[];
  /** The largest: the worker's. */
  peakMiB: number;
}

const hook = new URL('peak-rss-hook.js', import.meta.url).href;

export function runWithPeakRss(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PeakRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-peak-'));
  const file = join(dir, 'peaks.jsonl');
  const env = { ...process.env, ...o.env, DOUBLE_DIP_PEAK_RSS_FILE: file,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${hook}`].filter(Boolean).join(' ') };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: o.cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      let lines: string[] = [];
      try { lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean); } catch { /* no process reported */ }
      rmSync(dir, { recursive: true, force: true });
      const processes = lines.map((l) => JSON.parse(l) as { pid: number; ppid: number; kib: number; preload: string })
        .map((p) => ({ pid: p.pid, ppid: p.ppid, mib: p.kib / 1024, tcmalloc: p.preload.includes('tcmalloc') }))
        .sort((a, b) => b.mib - a.mib);
      resolve({ code, stderr, processes, peakMiB: processes[0]?.mib ?? NaN });
    });
  });
}
