import { readImage } from '../../io/image-file.js';
import { segment, type SegmentOptions } from '../../tasks/segment.js';
import { COMMON_HELP, UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { runTask } from '../run.js';

export const summary = 'foreground/background segmentation of one image';
export const help = `Usage: double-dip segment IMAGE -o DIR [--hint MASK.png | --box X,Y,W,H]

Splits IMAGE into a foreground layer, a background layer and a binary mask
(I = m * foreground + (1 - m) * background). Without a hint, an automatic saliency
estimate says roughly where the object is.

Writes DIR/mask.png (255 = foreground), mask-soft.png, foreground.png, background.png,
reconstruction.png, hints.png (the hints used, in --hint format), loss.png and report.json.

  --hint MASK.png       white = foreground, black = background, grey = unknown (image size)
  --box X,Y,W,H         a box around the object, in pixels
  --grow-hints yes|no   grow the hints to the object's rim by GrabCut (colour + edges)
                        (default: yes with --box or automatic hints, no with --hint;
                        no = the reference's hints)

${COMMON_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { hint: { type: 'string' }, box: { type: 'string' }, 'grow-hints': { type: 'string' } });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  if (positionals.length !== 1) throw new UsageError(`segment takes one IMAGE, got ${positionals.length}`);
  const options = taskOptions<SegmentOptions>(values, 'segment', 1);
  const dir = await requireOutput(values);
  const image = await readImage(positionals[0]);
  const hint = values.hint ? await readImage(String(values.hint)) : undefined;
  // The box is checked against the image (inside it, not too small at the working size) by segment() before any work.
  return runTask('segment', dir, values as never, options, (o) => segment(image, { ...o, hint }), positionals);
}
