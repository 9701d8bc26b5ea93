// Helpers of the queue tests: a real Redis on a free port (no persistence), the CLI as a child
// process, and tiny input pictures.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { picture } from './png.js';

export const bin = join(process.cwd(), 'bin', 'double-dip.mjs');

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** Starts redis-server on a free port; resolves once it accepts connections. */
export async function startRedis(): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d; if (/Ready to accept connections/.test(out)) resolve(); });
    p.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
    setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10000).unref();
  });
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => new Promise((r) => { if (p.exitCode !== null || p.signalCode !== null) r(); else { p.once('exit', () => r()); p.kill('SIGTERM'); } }) };
}

/** A running `double-dip ...` with its output gathered. */
export interface Proc { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null>; waitFor: (re: RegExp, ms?: number) => Promise<void> }

export function startCli(args: string[], cwd = process.cwd()): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => { out += d; waiters.forEach((w) => w()); });
  child.stderr!.on('data', (d: Buffer) => { err += d; waiters.forEach((w) => w()); });
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    child, stdout: () => out, stderr: () => err, exit,
    waitFor: (re, ms = 60000) => new Promise((resolve, reject) => {
      const check = () => { if (re.test(out + err)) { resolve(); return true; } return false; };
      if (check()) return;
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${out}${err}`)), ms);
      waiters.push(() => { if (check()) clearTimeout(t); });
    }),
  };
}

/** Runs `double-dip ...` to its end. */
export async function cli(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(args, cwd);
  const code = await p.exit;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** n small PNGs (48 px) in dir, named p01.png ... */
export async function pictures(dir: string, n: number, size = 48): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const png = await picture(size, size);
  return Array.from({ length: n }, (_, i) => {
    const p = join(dir, `p${String(i + 1).padStart(2, '0')}.png`);
    writeFileSync(p, png);
    return p;
  });
}

/** Output folders of dir that are visible but incomplete (no report.json); temporary folders (.tmp-) are not outputs. */
export function partialOutputs(dir: string): string[] {
  return folders(dir).filter((n) => !n.includes('.tmp-') && !readdirSync(join(dir, n)).includes('report.json'));
}

/** Temporary folders left in dir. */
export function leftovers(dir: string): string[] {
  return folders(dir).filter((n) => n.includes('.tmp-'));
}

function folders(dir: string): string[] {
  try { return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { return []; }
}

/** The processes below pid (children, grandchildren, ...), with their command lines. */
export function descendants(pid: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) {
      let cmd = '';
      try { cmd = readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').join(' '); } catch { /* gone */ }
      out.push({ pid: c, cmd });
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * A Redis for one test file (started before, stopped after) and `double-dip worker` processes on
 * it (one thread each: the machine is shared), stopped by stopWorkers() or after the file.
 */
export function useRedis(): { url: () => string; startWorkers: (n: number, extra?: string[]) => Promise<Proc[]>; stopWorkers: () => Promise<void> } {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let workers: Proc[] = [];
  const stopWorkers = async () => {
    const all = workers;
    workers = [];
    await Promise.all(all.map((w) => { if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM'); return w.exit; }));
  };
  before(async () => { redis = await startRedis(); });
  after(async () => { await stopWorkers(); await redis?.stop(); });
  return {
    url: () => redis!.url,
    stopWorkers,
    startWorkers: async (n, extra = []) => {
      const started = Array.from({ length: n }, () => startCli(['worker', '--queue', redis!.url, '--stalled-seconds', '2', '--threads', '1', ...extra]));
      workers.push(...started);
      await Promise.all(started.map((w) => w.waitFor(/waiting for jobs/)));
      return started;
    },
  };
}
