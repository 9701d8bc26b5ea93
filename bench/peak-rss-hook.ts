// Loaded into every Node process of a measured command (NODE_OPTIONS=--import, so the launcher's
// tcmalloc child has it too): at exit, appends this process's peak resident memory (VmHWM, from
// /proc, so Linux only) to the file DOUBLE_DIP_PEAK_RSS_FILE names, one JSON line per process.
import { appendFileSync, readFileSync } from 'node:fs';

const file = process.env.DOUBLE_DIP_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const kib = Number(/VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    appendFileSync(file, JSON.stringify({ pid: process.pid, ppid: process.ppid, kib, preload: process.env.LD_PRELOAD ?? '' }) + '\n');
  });
}
