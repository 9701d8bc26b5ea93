import { readImage } from '../../io/image-file.js';
import { WATERMARK_DEFAULTS, removeWatermark, type WatermarkOptions } from '../../tasks/watermark.js';
import { COMMON_HELP, UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { runTask } from '../run.js';

export const summary = 'remove a watermark (one image + its region, or several images sharing the mark)';
export const help = `Usage: double-dip watermark IMAGE -o DIR (--box X,Y,W,H | --hint MASK.png)
       double-dip watermark IMAGE1 IMAGE2 [IMAGE3 ...] -o DIR

One image: say where the mark is, with a box in pixels or a mask image of the same size
(white = mark region). Pixels outside the region are kept as they are; only the region and
its surroundings are processed (--size applies to that part).
Several images of the same size sharing one watermark: no region needed.

Writes DIR/clean.png (or clean-1.png, clean-2.png, ... for several images),
watermark.png, alpha.png (the mark's opacity), loss.png and report.json.
Each clean image is solved from its input and the learned mark, C = (I - alpha W) / (1 - alpha);
the clean DIP's output is kept as clean-net.png (clean-K-net.png for several images).

  --box X,Y,W,H         the region that holds the mark (one image)
  --hint MASK.png       white = mark region, at the image's size (one image)
  --runs N              N runs with seeds seed..seed+N-1, per-pixel median of the outputs
                        (the authors' code runs 3; default 3 for one image, 1 for several;
                        N x the time)
  --sparsity W          L1 cost on the opacity (default ${WATERMARK_DEFAULTS.single.sparsity})
  --exclusion W         exclusion loss between every pair of clean images (several images,
                        default ${WATERMARK_DEFAULTS.multi.exclusion}) or between clean and mark (one image, default ${WATERMARK_DEFAULTS.single.exclusion})
                        (several images with --sparsity 0 --exclusion 0: the authors' recipe)
  --clean solved|net    clean images solved from the mark (default) or the clean DIPs'
                        outputs (the authors' code)
  --mark-colour C       the mark's colour: white, R,G,B (0-255) or learn (a DIP image, the
                        authors'); default white for one image, learn for several
  --opacity uniform|free  one image: the mark has one opacity, the level that holds most of
                        the learned opacity (default: uniform). The opacity is kept within
                        what the image allows (a white mark is no stronger than a pixel's
                        darkest channel) and clipped at the level; opacity more than a pixel
                        from the mark's core (near that level; in a bold mark, no line
                        thinner than 2 px) is dropped, the core set to the level, and the
                        rest made to follow the mark's edges in the image. free keeps it
                        as learned (for a mark drawn at several opacities, or with a
                        glow or shadow)

${COMMON_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { box: { type: 'string' }, hint: { type: 'string' }, runs: { type: 'string' },
    sparsity: { type: 'string' }, exclusion: { type: 'string' }, clean: { type: 'string' }, 'mark-colour': { type: 'string' },
    opacity: { type: 'string' } });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  if (positionals.length < 1) throw new UsageError('watermark takes one IMAGE with --box or --hint, or several images sharing a mark');
  const options = taskOptions<WatermarkOptions>(values, 'watermark', positionals.length);
  const dir = await requireOutput(values);
  const images = await Promise.all(positionals.map((p) => readImage(p)));
  const hint = values.hint ? await readImage(String(values.hint)) : undefined;
  if (images.length > 1) {
    const [a] = images;
    const i = images.findIndex((b) => b.width !== a.width || b.height !== a.height);
    if (i > 0) throw new UsageError(`Input images must have the same size: ${positionals[0]} is ${a.width}x${a.height} but ${positionals[i]} is ${images[i].width}x${images[i].height}. Resize them to one size first.`);
  }
  // The box and the hint are checked against the image by removeWatermark() before any work.
  return runTask('watermark', dir, values as never, options, (o) => removeWatermark(images, { ...o, hint }), positionals);
}
