// Progress output: a one-line bar with loss and ETA on a terminal, plain lines in logs,
// JSON lines with --json, nothing with --quiet.
import type { Progress } from '../core/trainer.js';

export type ProgressMode = 'tty' | 'lines' | 'json' | 'quiet';

export function progressMode(quiet: boolean, json: boolean): ProgressMode {
  if (json) return 'json';
  if (quiet) return 'quiet';
  return process.stderr.isTTY ? 'tty' : 'lines';
}

const fmtTime = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`);

export function progressReporter(mode: ProgressMode, label: string): { update: (p: Progress) => void; done: () => void } {
  let last = 0;
  return {
    update(p) {
      const now = performance.now();
      const final = p.iteration === p.total;
      if (mode === 'quiet') return;
      if (mode === 'json') {
        if (now - last < 1000 && !final) return;
        last = now;
        process.stdout.write(JSON.stringify({ type: 'progress', task: label, ...p }) + '\n');
        return;
      }
      if (mode === 'tty') {
        if (now - last < 100 && !final) return;
        last = now;
        // \r and clear-to-end redraw in place; a line longer than the terminal would wrap and stack.
        process.stderr.write(`\r${ttyLine(label, p, process.stderr.columns || 80)}\x1b[K`);
        return;
      }
      if (now - last < 10000 && !final && p.iteration !== 1) return;
      last = now;
      process.stderr.write(`${label}: iteration ${p.iteration}/${p.total} (${p.phase}) loss ${p.loss.toFixed(5)} ` +
        `psnr ${p.psnr.toFixed(2)} dB, ${fmtTime(p.elapsed)} elapsed, ETA ${fmtTime(p.eta)}\n`);
    },
    done() { if (mode === 'tty') process.stderr.write('\n'); },
  };
}

/**
 * One progress line that fits `columns` (one less, so the cursor never wraps): the most useful
 * parts first (count, ETA, loss), the bar and the rest only where there is room.
 */
export function ttyLine(label: string, p: Progress, columns: number): string {
  const count = `${p.iteration}/${p.total}`;
  const eta = `ETA ${fmtTime(p.eta)}`;
  const loss = `loss ${p.loss.toFixed(4)}`;
  const extra = [`${p.psnr.toFixed(2)} dB`, p.phase, `${fmtTime(p.elapsed)} elapsed`];
  const room = Math.max(10, columns - 1);
  let parts = [label, count, eta, loss];
  for (const e of extra) if ([...parts, e].join(' ').length <= room - 12) parts.push(e);
  let line = parts.join(' ');
  const barWidth = Math.min(24, room - line.length - 1);
  if (barWidth >= 6) {
    const filled = Math.round((p.iteration / p.total) * barWidth);
    parts = [label, '█'.repeat(filled) + '░'.repeat(barWidth - filled), ...parts.slice(1)];
    line = parts.join(' ');
  }
  return line.length <= room ? line : line.slice(0, room);
}
