import { readImage } from '../../io/image-file.js';
import { WATERMARK_DEFAULTS, removeWatermark } from '../../tasks/watermark.js';
import { assertBoxInside, parseBox } from '../../tasks/hints.js';
import { COMMON_HELP, UsageError, number, parse, requireOutput, rgb, taskOptions } from '../options.js';
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
  if (values.box && values.hint) throw new UsageError('Give either --box or --hint, not both');
  if (positionals.length === 1 && !values.box && !values.hint)
    throw new UsageError('One image needs the watermark region: --box X,Y,W,H or --hint MASK.png (or give several images sharing the mark)');
  if (positionals.length > 1 && (values.box || values.hint))
    throw new UsageError('--box and --hint apply to one image; several images sharing a mark need no region');
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1 || runs > 9)) throw new UsageError(`--runs must be an integer from 1 to 9, got "${values.runs}"`);
  const clean = values.clean as string | undefined;
  if (clean !== undefined && clean !== 'solved' && clean !== 'net') throw new UsageError(`--clean takes solved or net, got "${clean}"`);
  const opacity = values.opacity as string | undefined;
  if (opacity !== undefined && opacity !== 'uniform' && opacity !== 'free') throw new UsageError(`--opacity takes uniform or free, got "${opacity}"`);
  if (opacity !== undefined && positionals.length > 1) throw new UsageError('--opacity applies to one image; several images learn their shared opacity as it is');
  const markColour = parseColour(values['mark-colour'] as string | undefined);
  const recipe = {
    sparsity: number(values.sparsity as string | undefined, 'sparsity', { min: 0 }),
    exclusion: number(values.exclusion as string | undefined, 'exclusion', { min: 0 }),
  };
  const dir = await requireOutput(values);
  const options = taskOptions(values);
  let box;
  try { box = values.box ? parseBox(String(values.box)) : undefined; } catch (e) { throw new UsageError((e as Error).message); }
  const images = await Promise.all(positionals.map((p) => readImage(p)));
  if (box) {
    try { assertBoxInside(box, images[0].width, images[0].height); } catch (e) { throw new UsageError((e as Error).message); }
  }
  const hint = values.hint ? await readImage(String(values.hint)) : undefined;
  if (hint && (hint.width !== images[0].width || hint.height !== images[0].height))
    throw new UsageError(`The hint mask is ${hint.width}x${hint.height} but the image is ${images[0].width}x${images[0].height}: draw the hint at the image's size.`);
  if (images.length > 1) {
    const [a] = images;
    const i = images.findIndex((b) => b.width !== a.width || b.height !== a.height);
    if (i > 0) throw new UsageError(`Input images must have the same size: ${positionals[0]} is ${a.width}x${a.height} but ${positionals[i]} is ${images[i].width}x${images[i].height}. Resize them to one size first.`);
  }
  return runTask('watermark', dir, values as never, options, (o) => removeWatermark(images, { ...o, box, hint, runs, ...recipe, clean: clean as 'solved' | 'net' | undefined, markColour,
    opacity: opacity as 'uniform' | 'free' | undefined }), positionals);
}

/** --mark-colour: white, learn, or R,G,B in 0-255. */
function parseColour(v: string | undefined): [number, number, number] | 'learn' | undefined {
  if (v === 'learn') return 'learn';
  if (v === 'white') return [1, 1, 1];
  try {
    return rgb(v, 'mark-colour');
  } catch {
    throw new UsageError(`--mark-colour takes white, learn or R,G,B with each in 0-255, got "${v}"`);
  }
}
