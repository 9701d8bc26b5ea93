// Runs one task from the command line: progress, Ctrl-C (stop and keep the best so far),
// outputs and the exit code.
import type { TaskOptions, TaskResult } from '../tasks/common.js';
import { writeTaskResult } from '../io/outputs.js';
import { progressMode, progressReporter } from './progress.js';

export interface CliContext { quiet: boolean; json: boolean }

/** Calls task(options) with progress and interruption wired in, then writes its result to dir. */
export async function runTask(label: string, dir: string, ctx: CliContext, options: TaskOptions,
  task: (o: TaskOptions) => Promise<TaskResult>, inputs: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130); // a second Ctrl-C: leave at once
    if (!ctx.quiet) process.stderr.write('\nInterrupted: stopping and writing the best result so far (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = progressReporter(progressMode(ctx.quiet, ctx.json), label);
  try {
    const result = await task({ ...options, signal: controller.signal, onProgress: progress.update });
    progress.done();
    const written = await writeTaskResult(dir, result, { inputs: inputs.map((path, i) => ({ path, ...result.report.inputs[i] })) });
    if (ctx.json) process.stdout.write(JSON.stringify({ type: 'result', outputs: written, report: result.report }) + '\n');
    else if (!ctx.quiet) {
      process.stderr.write(`${label}: ${result.report.iterations} iterations in ${result.report.seconds.toFixed(1)} s, ` +
        `reconstruction ${result.report.psnr.toFixed(2)} dB (${result.report.stopReason})\n`);
      for (const p of written) process.stderr.write(`  wrote ${p}\n`);
    }
    return result.report.stopReason === 'aborted' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
