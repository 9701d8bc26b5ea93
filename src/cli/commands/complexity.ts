import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { commonHelp } from '../help.js';
import { progressMode, progressReporter } from '../progress.js';
import { whileRunning } from '../signals.js';

export const summary = "one DIP's loss curve per image: mixtures are harder to learn than their layers";
export const help = `Usage: double-dip complexity IMAGE... -o DIR

Trains one DIP on each image alone and records its MSE per iteration (paper Fig. 3):
a mixture of layers is learned more slowly, and ends higher, than each layer.

Writes DIR/curves.json, DIR/curves.png and DIR/report.json.

${commonHelp('complexity')}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  // Loaded after --help, which stays quick without libtorch and sharp.
  const [{ readImage }, { plotCurves }, { Staging }, { complexity }, { exitCode, stopping }] = await Promise.all([
    import('../../io/image-file.js'), import('../../io/plot.js'), import('../../io/staging.js'), import('../../tasks/complexity.js'), import('../run.js')]);
  if (positionals.length < 1) throw new UsageError('complexity takes at least one IMAGE');
  const options = taskOptions(values, 'complexity');
  const dir = await requireOutput(values);
  const images = await Promise.all(positionals.map(async (p) => ({ name: basename(p), image: await readImage(p) })));
  const controller = new AbortController();
  const ctx = { quiet: !!values.quiet, json: !!values.json };
  const done = whileRunning((signal) => { stopping(ctx, signal); controller.abort(); });
  const progress = progressReporter(progressMode(ctx.quiet, ctx.json), 'complexity');
  try {
    const curves = await complexity(images, { ...options, signal: controller.signal, onProgress: progress.update });
    progress.done();
    const report = { task: 'complexity', inputs: positionals, seed: options.seed ?? 0, settings: options,
      curves: curves.map(({ mse: _mse, ...rest }) => rest), outputs: ['curves.json', 'curves.png', 'report.json'] };
    const stage = Staging.open(dir);
    try {
      await writeFile(stage.file('curves.json'), JSON.stringify(curves, null, 2) + '\n');
      await writeFile(stage.file('curves.png'), await plotCurves(curves.map((c) => ({ name: c.name, values: c.mse })),
        { title: 'DIP reconstruction loss per image', xLabel: 'iteration', yLabel: 'MSE', logY: true }));
      await writeFile(stage.file('report.json'), JSON.stringify(report, null, 2) + '\n');
      stage.commit();
    } catch (e) {
      stage.abort();
      throw e;
    }
    if (ctx.json) process.stdout.write(JSON.stringify({ type: 'result', report }) + '\n');
    else if (!ctx.quiet) for (const c of curves) process.stderr.write(`${c.name}: final MSE ${c.finalMse.toExponential(3)}, mean MSE ${c.areaUnderCurve.toExponential(3)}\n`);
    return exitCode(controller.signal.aborted);
  } finally {
    done();
  }
}
