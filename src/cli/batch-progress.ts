// A batch's progress on stderr: one status line (done / failed / running / ETA, and the running
// jobs' iterations) redrawn on a terminal, plain lines in logs, JSON lines on stdout with --json,
// nothing with --quiet. A line per finished job either way. A long clip run as chunk jobs is one
// job: its chunks and its join show among the running ones as "clip chunk 2/3 (frames 4-9)".
import type { JobProgress } from '../queue/events.js';
import type { ProgressMode } from './progress.js';

const fmtTime = (s: number) => (!Number.isFinite(s) ? '?' : s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`);

export interface BatchCounts { total: number; done: number; failed: number; skipped: number }

export class BatchProgress {
  private running = new Map<string, { name: string; part?: string; progress?: JobProgress }>();
  private finished = 0;
  private readonly started = performance.now();
  private lastLine = 0;
  private timer?: NodeJS.Timeout;

  constructor(private mode: ProgressMode, private counts: BatchCounts, private workers: number) {
    if (mode === 'lines') this.timer = setInterval(() => this.status(true), 10000).unref();
  }

  active(id: string, name: string): void {
    this.running.set(id, { name });
    this.json({ type: 'job', name, state: 'running' });
    if (this.mode === 'lines') this.line(`started ${name}`);
    this.status();
  }

  /** A part of a chunked job (a chunk, its join) starts; `first`: the job's first part, announced as the job starting. */
  partActive(id: string, name: string, part: string, first: boolean): void {
    this.running.set(id, { name, part });
    if (first) this.json({ type: 'job', name, state: 'running' });
    this.json({ type: 'chunk', name, part, state: 'running' });
    if (this.mode === 'lines') this.line(`started ${name} ${part}`);
    this.status();
  }

  /** A chunk ended: the job goes on (its join ends it). */
  partEnd(id: string, name: string, part: string, state: 'done' | 'failed', seconds: number | undefined, error?: string): void {
    this.running.delete(id);
    this.json({ type: 'chunk', name, part, state, ...(seconds !== undefined ? { seconds } : {}), ...(error ? { error } : {}) });
    this.line(state === 'done' ? `done ${name} ${part}${seconds !== undefined ? ` in ${seconds.toFixed(1)} s` : ''}` : `failed ${name} ${part}: ${error}`);
    this.status(true);
  }

  progress(id: string, p: JobProgress): void {
    const r = this.running.get(id);
    if (!r) return;
    r.progress = p;
    this.json({ type: 'progress', name: r.name, ...(r.part ? { part: r.part } : {}), ...p });
    this.status();
  }

  end(id: string, name: string, state: 'done' | 'failed', seconds: number | undefined, error?: string): void {
    this.running.delete(id);
    this.finished++;
    this.json({ type: 'job', name, state, ...(seconds !== undefined ? { seconds } : {}), ...(error ? { error } : {}) });
    this.line(state === 'done' ? `done ${name}${seconds !== undefined ? ` in ${seconds.toFixed(1)} s` : ''}` : `failed ${name}: ${error}`);
    this.status(true);
  }

  close(): void {
    clearInterval(this.timer);
    if (this.mode === 'tty') process.stderr.write('\r\x1b[K');
  }

  /** Remaining time: the pace of the jobs finished so far over the jobs left, else the running jobs' own ETAs. */
  eta(): number {
    const c = this.counts;
    const left = c.total - c.done - c.failed - c.skipped;
    const elapsed = (performance.now() - this.started) / 1000;
    if (this.finished > 0) return (elapsed / this.finished) * left;
    const etas = [...this.running.values()].map((r) => r.progress?.eta).filter((e): e is number => e !== undefined);
    return etas.length ? Math.max(...etas) * Math.ceil(left / Math.max(1, this.workers)) : NaN;
  }

  text(): string {
    const c = this.counts;
    const jobs = [...this.running.values()].map((r) => {
      const name = r.part ? `${r.name} ${r.part}` : r.name;
      return r.progress ? `${name} ${r.progress.iteration}/${r.progress.iterations}` : name;
    });
    return `batch: ${c.done + c.skipped}/${c.total} done${c.skipped ? ` (${c.skipped} skipped)` : ''}, ${c.failed} failed, ` +
      `${this.running.size} running${jobs.length ? ` [${jobs.join(', ')}]` : ''}, ETA ${fmtTime(this.eta())}`;
  }

  private status(force = false): void {
    const now = performance.now();
    if (this.mode === 'tty') {
      if (!force && now - this.lastLine < 200) return;
      this.lastLine = now;
      const room = Math.max(20, (process.stderr.columns || 80) - 1);
      process.stderr.write(`\r${this.text().slice(0, room)}\x1b[K`);
    } else if (this.mode === 'lines' && force) {
      process.stderr.write(this.text() + '\n');
    }
  }

  private line(s: string): void {
    if (this.mode === 'tty') process.stderr.write(`\r\x1b[K${s}\n`);
    else if (this.mode === 'lines') process.stderr.write(s + '\n');
  }

  private json(o: Record<string, unknown>): void {
    if (this.mode === 'json') process.stdout.write(JSON.stringify(o) + '\n');
  }
}
