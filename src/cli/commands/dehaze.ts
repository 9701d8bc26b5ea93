import { readImage } from '../../io/image-file.js';
import { DEHAZE_DEFAULTS, dehaze, type DehazeOptions } from '../../tasks/dehaze.js';
import { COMMON_HELP, UsageError, parse, requireOutput, taskOptions } from '../options.js';
import { runTask } from '../run.js';

export const summary = 'remove haze from one image (Double-DIP, or the dark channel prior baseline)';
export const help = `Usage: double-dip dehaze IMAGE -o DIR [--method double-dip|dcp] [--airlight R,G,B]

Splits a hazy IMAGE into the haze-free scene J, a transmission map t and an airlight
map A (I = t * J + (1 - t) * A).

  --method double-dip   three coupled Deep Image Priors (default; minutes)
  --method dcp          He et al.'s dark channel prior (no training; seconds)
  --airlight R,G,B      the airlight colour, each in 1-255, when it is known (the authors gave
                        theirs per image): Double-DIP's A0, DCP's A. Default: estimated
                        (He et al.: the brightest pixel among the 0.1% haziest)
  --passes N            Double-DIP passes, each on the previous result (default 1; the
                        authors' code runs 2: removes more haze, also darkens; N x the time)
  --dark-channel W      weight of the dark channel prior on J (default ${DEHAZE_DEFAULTS.darkChannel})
  --dark-channel-by-t yes|no   count each pixel of that prior by the transmission t (default
                        ${DEHAZE_DEFAULTS.darkChannelByT ? 'yes' : 'no'}): the prior holds for the scene, which shows through only where t
                        is not small; in a hazy sky it would tint the airlight instead
  --airlight-grid N     the airlight map is made at 1/N of the working size (default ${DEHAZE_DEFAULTS.airlightGrid})
  --airlight-pull W     pull of A to A0 after the first quarter (default ${DEHAZE_DEFAULTS.airlightPull})
  --transmission-hint W pull of t to the dark channel prior's transmission in the first
                        quarter (default ${DEHAZE_DEFAULTS.transmissionHint})
  --transmission-hint-after W   the same pull afterwards (default ${DEHAZE_DEFAULTS.transmissionHintAfter})
                        (--dark-channel 0 --airlight-grid 1 --airlight-pull 0 --transmission-hint 0:
                        the authors' recipe)

Writes DIR/dehazed.png, transmission.png (white = clear), airlight.png, loss.png (double-dip)
and report.json (the airlight A0, estimated or given, is in report.json).

${COMMON_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { method: { type: 'string' }, passes: { type: 'string' },
    'dark-channel': { type: 'string' }, 'dark-channel-by-t': { type: 'string' }, 'airlight-grid': { type: 'string' }, 'airlight-pull': { type: 'string' },
    'transmission-hint': { type: 'string' }, 'transmission-hint-after': { type: 'string' }, airlight: { type: 'string' } });
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  if (positionals.length !== 1) throw new UsageError(`dehaze takes one IMAGE, got ${positionals.length}`);
  const options = taskOptions<DehazeOptions>(values, 'dehaze', 1);
  const dir = await requireOutput(values);
  const image = await readImage(positionals[0]);
  return runTask('dehaze', dir, values as never, options, (o) => dehaze(image, o), positionals);
}
