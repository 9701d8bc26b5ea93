import { readImage } from '../../io/image-file.js';
import { separate, type SeparateOptions } from '../../tasks/separate.js';
import { COMMON_HELP, UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { runTask } from '../run.js';

export const summary = 'transparent layer separation (one image, or two mixtures of the same layers)';
export const help = `Usage: double-dip separate IMAGE [IMAGE2] -o DIR [--model blend|sum] [--layers solved|net]

One image:  I = m * layer1 + (1 - m) * layer2 with a learned uniform m (--model blend,
            the default) or I = layer1 + layer2 (--model sum), with the exclusion loss.
Two images of the same two layers mixed differently (e.g. a reflection photographed twice):
            I_k = m_k * layer1 + (1 - m_k) * layer2; recovers both layers and both m_k.
            --layers solved (default): the layers are solved from the two inputs with the
            learned m_k (exact, full resolution; the DIP outputs are kept as layer1-net.png,
            layer2-net.png); --layers net: the DIP outputs, as the authors' code. When the two
            m_k are closer than 0.15 the solve is ill-conditioned and the DIP outputs are used.

Writes DIR/layer1.png, layer2.png, reconstruction(-k).png, loss.png and report.json
(the learned coefficients are in report.json as "coefficients").

${COMMON_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { model: { type: 'string' }, layers: { type: 'string' } });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError(`separate takes one or two images, got ${positionals.length}`);
  const options = taskOptions<SeparateOptions>(values, 'separate', positionals.length);
  const dir = await requireOutput(values);
  const images = await Promise.all(positionals.map((p) => readImage(p)));
  return runTask('separate', dir, values as never, options, (o) => separate(images, o), positionals);
}
