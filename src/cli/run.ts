// Runs one task from the command line: progress, signals (the first stops training and keeps the
// best so far), outputs and the exit code.
import type { TaskOptions, TaskResult } from '../tasks/common.js';
import { writeTaskResult } from '../io/outputs.js';
import { progressMode, progressReporter } from './progress.js';
import { signalExitCode, stopSignal, whileRunning } from './signals.js';

export interface CliContext { quiet: boolean; json: boolean }

/** The message for the first signal, which stops training. */
export function stopping(ctx: CliContext, signal: NodeJS.Signals): void {
  if (!ctx.quiet) process.stderr.write(`\n${signal === 'SIGINT' ? 'Interrupted' : `Got ${signal}`}: stopping and writing the best result so far (Ctrl-C again to quit now, writing nothing)\n`);
}

/** The exit code of a task that ran to its end: 128 + n after signal n, 130 when aborted otherwise. */
export function exitCode(aborted: boolean): number {
  const signal = stopSignal();
  return signal ? signalExitCode(signal) : aborted ? 130 : 0;
}

/** Calls task(options) with progress and interruption wired in, then writes its result to dir. */
export async function runTask(label: string, dir: string, ctx: CliContext, options: TaskOptions,
  task: (o: TaskOptions) => Promise<TaskResult>, inputs: string[]): Promise<number> {
  const controller = new AbortController();
  const done = whileRunning((signal) => { stopping(ctx, signal); controller.abort(); });
  const progress = progressReporter(progressMode(ctx.quiet, ctx.json), label);
  try {
    const result = await task({ ...options, signal: controller.signal, onProgress: progress.update });
    progress.done();
    const written = await writeTaskResult(dir, result, { inputs: inputs.map((path, i) => ({ path, ...result.report.inputs[i] })) });
    if (ctx.json) process.stdout.write(JSON.stringify({ type: 'result', outputs: written, report: result.report }) + '\n');
    else if (!ctx.quiet) {
      const { iterations, plannedIterations, seconds, psnr, stopReason } = result.report;
      process.stderr.write(plannedIterations === 0 ? `${label}: solved from the inputs in ${seconds.toFixed(1)} s, no training needed\n`
        : `${label}: ${iterations} iterations in ${seconds.toFixed(1)} s, reconstruction ${psnr.toFixed(2)} dB (${stopReason})\n`);
      for (const p of written) process.stderr.write(`  wrote ${p}\n`);
    }
    // A result the task doubts is said even with --quiet (it is what to act on); --json has it in the report.
    if (!ctx.json) for (const c of result.report.concerns ?? []) process.stderr.write(`warning: ${c}\n`);
    return exitCode(result.report.stopReason === 'aborted');
  } finally {
    done();
  }
}
