// Re-runs a Node script with tcmalloc preloaded when the machine has it. libtorch's CPU
// training steps spend much of their time in page faults under glibc malloc (measured 3.2 s
// vs 0.64 s per DIP step at 256 px); the addon tunes glibc itself, and tcmalloc is faster still.
// An LD_PRELOAD must be set before the process starts, hence the relaunch.
//
// The launcher stands in for the child: it relays SIGINT, SIGTERM and SIGHUP, and exits with the
// child's code (128 + n when the child died of signal n). The child dies with the launcher,
// however that ends (SIGKILL included): it holds an IPC channel to it, which the kernel closes
// when the launcher goes, and exits on its 'disconnect' (no cost while it trains).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4',
];
const RELAYED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Exit code of a child that lost its launcher: as for a hangup. */
const ORPHANED = 128 + constants.signals.SIGHUP;

/** Returns true when this process should just go on (already fast, or nothing to preload). */
function alreadyFast() {
  if (process.env.DOUBLE_DIP_NO_RELAUNCH === '1') return true;
  if ((process.env.LD_PRELOAD ?? '').includes('tcmalloc')) return true;
  return false;
}

/** In a child this launcher started: exit at once when the launcher is gone (exit handlers still run). */
function followLauncher() {
  if (!process.channel || process.env.DOUBLE_DIP_LAUNCHER !== String(process.ppid)) return;
  process.on('disconnect', () => process.exit(ORPHANED));
  process.channel.unref(); // the lifeline must not keep the child alive once its work is done
}

/** Temporary frame folders of a child that could not clean up (killed by a signal): src/io/video-file.ts names them by pid. */
function removeLeftovers(pid) {
  try {
    for (const name of readdirSync(tmpdir()))
      if (name.startsWith(`double-dip-frames-${pid}-`) || name.startsWith(`double-dip-encode-${pid}-`))
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
  } catch { /* best effort */ }
}

/** Relaunches `node [execArgv] script args` under tcmalloc; returns false if no relaunch happened. */
export function relaunchFast(script, args) {
  if (alreadyFast()) { followLauncher(); return false; }
  const lib = CANDIDATES.find((p) => existsSync(p));
  if (!lib) return false;
  const env = { ...process.env, LD_PRELOAD: [lib, process.env.LD_PRELOAD].filter(Boolean).join(':'), DOUBLE_DIP_NO_RELAUNCH: '1',
    DOUBLE_DIP_LAUNCHER: String(process.pid) };
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env });
  // Every stop signal is relayed: the launcher cannot tell a terminal's Ctrl-C, which reaches the
  // child too (the whole process group), from a `kill` of its pid. The child counts two signals
  // close together as one (src/cli/signals.ts).
  for (const sig of RELAYED) process.on(sig, () => { child.kill(sig); });
  child.on('error', (e) => { console.error(`Cannot run ${script} under ${process.execPath}: ${e.message}`); process.exit(1); });
  child.on('exit', (code, signal) => {
    if (signal) removeLeftovers(child.pid);
    process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : code ?? 1);
  });
  return true;
}

// As a command: node bin/fast-node.mjs script.js args...
if (import.meta.url === `file://${process.argv[1]}`) {
  const [script, ...args] = process.argv.slice(2);
  if (!script) { console.error('usage: node bin/fast-node.mjs SCRIPT [ARGS...]'); process.exit(2); }
  if (!relaunchFast(script, args)) {
    process.argv = [process.argv[0], script, ...args];
    await import(new URL(script, `file://${process.cwd()}/`).href);
  }
}
