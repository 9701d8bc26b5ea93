// `double-dip worker`: takes jobs from a Redis queue (filled by `double-dip batch --queue` or `serve --queue`)
// until stopped. Run it on any number of machines that see the same input and output
// paths.
import { parseArgs } from 'node:util';
import { UsageError } from '../options.js';
import { optionFromText } from '../../tasks/options.js';

export const summary = 'take jobs from a Redis queue (filled by double-dip batch or serve --queue) until stopped';
export const help = `Usage: double-dip worker --queue redis://HOST:PORT[/DB] [--concurrency N] [--device cpu|cuda:K]
                       [--threads T] [--stalled-seconds S] [--quiet]

Runs the jobs of the Redis queue at URL, each in a child process of its own (BullMQ's sandboxed
processor), N at a time. Inputs and outputs are paths: every worker must see them at the same
place as the batch or server that added them (a shared file system). A job that fails is tried again twice
(after 2 s, then 4 s); one that cannot run as given (a bad option, an unreadable input) fails at
once with its message. A job whose worker died (killed, machine lost) is taken up by another
once its lock expires.

  --queue URL          the Redis server (redis://HOST:PORT/DB, default port 6379, database 0)
  --concurrency N      jobs at once (default 1; on one GPU or a CPU, one training uses it all)
  --device D           cpu or cuda:K, for jobs that set none
  --threads T          CPU threads per job, for jobs that set none (default: all cores)
  --stalled-seconds S  a job whose worker stops renewing its lock for S seconds is taken up by
                       another worker (default 30)
  -q, --quiet          no log lines
  -h, --help           this help

SIGTERM or Ctrl-C: finish the running jobs, then exit; a second one exits at once and the running
jobs are handed back (another worker takes them up).`;

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      queue: { type: 'string' }, concurrency: { type: 'string' }, device: { type: 'string' }, threads: { type: 'string' },
      'stalled-seconds': { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' },
    } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  const url = values.queue as string | undefined;
  if (!url) throw new UsageError('Missing --queue redis://HOST:PORT[/DB]: say which Redis holds the jobs');
  const int = (name: string, max: number) => {
    const t = values[name];
    if (t === undefined) return undefined;
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`Expected an integer from 1 to ${max} for --${name} but received "${t}"`);
    return n;
  };
  const concurrency = int('concurrency', 64) ?? 1;
  const stalled = int('stalled-seconds', 3600);
  const device = values.device === undefined ? undefined : optionFromText('device', String(values.device)) as string;
  const threads = values.threads === undefined ? undefined : optionFromText('threads', String(values.threads)) as number;
  const { QueueUrlError, parseQueueUrl, startWorker } = await import('../../queue/redis.js');
  try { parseQueueUrl(url); } catch (e) { if (e instanceof QueueUrlError) throw new UsageError(e.message); throw e; }
  const quiet = Boolean(values.quiet);
  const log = (line: string) => { if (!quiet) process.stderr.write(`${new Date().toISOString()} worker ${process.pid}: ${line}\n`); };
  const worker = await startWorker(url, { concurrency, device, threads, stalledMs: stalled === undefined ? undefined : stalled * 1000, log });
  log(`waiting for jobs on ${url} (${concurrency} at a time)`);
  // First signal: finish the running jobs. A second exits at once (signals.ts): the sandboxed
  // children see their parent gone and exit, their locks lapse and another worker takes the jobs up.
  const { whileRunning } = await import('../signals.js');
  await new Promise<void>((stopped) => {
    const done = whileRunning((sig) => {
      log(`${sig}: finishing the running jobs, then exiting (again to exit now; they go back to the queue)`);
      void worker.close().finally(() => { done(); stopped(); });
    });
  });
  log('stopped');
  return 0;
}
