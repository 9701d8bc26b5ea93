// `double-dip batch`: one job per input (or per manifest line) over a queue, in-process by default
// or on Redis with --queue (workers: `double-dip worker`), with a progress display, a
// batch-report.json, resumption (a job whose report.json exists is skipped) and an exit code that
// says whether every job succeeded.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TASKS, optionFields, type TaskName } from '../../tasks/registry.js';
import { MAX_FRAMES, flagName, optionFromText } from '../../tasks/options.js';
import { CHUNK_RECIPE } from '../../tasks/video-chunks.js';
import { UsageError, parse, requireOutput, taskOptions } from '../options.js';
import type { JobResult } from '../../queue/execute.js';
import type { Planned } from '../../queue/plan.js';

export const summary = 'many jobs: one per image (or per manifest line), in-process or over Redis workers';
const TASK_NAMES = ['segment', 'separate', 'dehaze', 'watermark', 'video segment', 'video separate', 'video dehaze'];

export const help = `Usage: double-dip batch TASK INPUT... -o DIR [task options] [--manifest JOBS.jsonl]
                      [--workers N | --queue redis://HOST:PORT[/DB]] [--quiet | --json]

Runs TASK (${TASK_NAMES.join(', ')}) once per INPUT: an image file, a folder (its
images, sorted by name), or a quoted glob ("photos/*.jpg"); for video tasks a clip or a folder of
frames. Outputs go to DIR/<input name>/ (names made unique: a, a-2, ...). The task options (as
for double-dip TASK --help) apply to every job.

  --manifest F   one job per line of F: {"inputs": ["a.png", "b.png"], "options": {"box": "10,10,40,40"},
                 "name": "a"}; for jobs with several images (separate two mixtures, watermark) or
                 their own options (over the command line's). Paths are relative to F's folder.
  --chunk N      video: a clip longer than N frames becomes chunk jobs of N frames (neighbours
                 sharing a few) that run on any workers, and a job joining them into one clip;
                 0: never (default: chunks of ${CHUNK_RECIPE.chunk} for clips over ${MAX_FRAMES} frames, as double-dip video)
  --workers N    in-process: N jobs at once, each in its own process with floor(cores / N)
                 threads (default 1: one training uses every core)
  --queue URL    add the jobs to the Redis queue at URL and follow them; run them with
                 double-dip worker --queue URL on any machines that see the same paths
  -q, --quiet    no progress (failures are still listed)
  --json         JSON lines on stdout: {"type": "job" | "progress" | "batch", ...}

A job whose DIR/<name>/report.json exists is skipped: after Ctrl-C (which stops the running jobs;
their folders are not written) the same command finishes the rest. A job that cannot run (a bad
option, an unreadable input) fails alone; the others go on. DIR/batch-report.json lists every
job's status, seconds and error. Exit 0 when every job succeeded, else 1.`;

/** The task named by the first one or two positionals ("video segment" is two). */
function taskOf(positionals: string[]): { task: TaskName; rest: string[] } {
  const [a, b, ...more] = positionals;
  if (a === 'video') {
    if (!['segment', 'separate', 'dehaze'].includes(b)) throw new UsageError(`Expected video segment, video separate or video dehaze, but received "video ${b ?? ''}"`);
    return { task: `video ${b}` as TaskName, rest: more };
  }
  if (!a || !TASK_NAMES.includes(a)) throw new UsageError(`Expected a task, one of ${TASK_NAMES.join(', ')}, but received "${a ?? ''}"`);
  return { task: a as TaskName, rest: b === undefined ? [] : [b, ...more] };
}

const BATCH_OPTIONS = { manifest: { type: 'string' }, queue: { type: 'string' }, workers: { type: 'string' }, chunk: { type: 'string' } } as const;

export async function run(argv: string[]): Promise<number> {
  // The task decides which flags there are: find it among the positionals of a first, loose pass.
  const first = argv.filter((a) => !a.startsWith('-'));
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(help + '\n'); return 0; }
  const { task } = taskOf(first);
  const flags = Object.fromEntries(optionFields(task).map((f) => [flagName(f.name).slice(2), { type: 'string' as const }]));
  const { values, positionals } = parse(argv, { ...flags, ...BATCH_OPTIONS });
  const { rest } = taskOf(positionals);
  const video = TASKS[task].inputs.kind === 'video';
  const { expandInputs, planJobs, readManifest, PlanError } = await import('../../queue/plan.js');
  const manifest = values.manifest as string | undefined;
  if (rest.length === 0 && !manifest) throw new UsageError(`batch ${task} needs inputs: files, folders or globs, or --manifest JOBS.jsonl`);
  const options = taskOptions<Record<string, unknown>>(values, task, manifest ? undefined : video ? undefined : 1);
  if (typeof values.hint === 'string') options.hint = resolve(values.hint);
  const url = values.queue as string | undefined;
  if (values.chunk !== undefined && !video) throw new UsageError(`--chunk is for video tasks (a long clip run as chunk jobs), not ${task}: leave it out`);
  const chunk = values.chunk === undefined ? undefined : optionFromText('chunk', String(values.chunk)) as number;
  let workers = 1;
  if (values.workers !== undefined) {
    if (url) throw new UsageError('--workers is for the in-process queue; with --queue, start workers with double-dip worker --queue URL [--concurrency N]');
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`Expected an integer from 1 to 64 for --workers but received "${values.workers}"`);
  }
  const { parseQueueUrl, QueueUrlError } = await import('../../queue/redis.js');
  if (url) {
    try { parseQueueUrl(url); } catch (e) { if (e instanceof QueueUrlError) throw new UsageError(e.message); throw e; }
  }
  const dir = resolve(await requireOutput(values));
  let planned: Planned[];
  try {
    const entries = [...(manifest ? readManifest(manifest) : []),
      ...expandInputs(rest, video).map((p) => ({ inputs: [p], options: {}, where: p }))];
    planned = planJobs(task, entries, options, dir);
    if (video) planned = await (await import('../../queue/chunks.js')).splitLongClips(planned, chunk);
  } catch (e) {
    if (e instanceof PlanError) throw new UsageError(e.message);
    throw e;
  }
  if (url) await (await import('../../queue/redis.js')).checkRedis(url); // exit 1, naming the URL, before anything is written
  return runBatch(task, planned, dir, { url, workers, quiet: Boolean(values.quiet), json: Boolean(values.json) });
}

interface BatchSettings { url?: string; workers: number; quiet: boolean; json: boolean }
type Status = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'interrupted';

async function runBatch(task: string, planned: Planned[], dir: string, s: BatchSettings): Promise<number> {
  const [{ BatchProgress }, { progressMode }, { signalExitCode, stopSignal, whileRunning }, { writeFileAtomic }] = await Promise.all([
    import('../batch-progress.js'), import('../progress.js'), import('../signals.js'), import('../../io/outputs.js')]);
  const mode = progressMode(s.quiet, s.json);
  const rows = new Map(planned.map((p) => [p.job.id, { ...p, status: p.state as Status, seconds: undefined as number | undefined,
    error: p.state === 'failed' ? p.error : undefined, result: undefined as JobResult | undefined,
    // A long clip's chunk jobs: each shown and reported within its clip's job.
    parts: p.state === 'failed' ? undefined : p.parts?.map((c) => ({ job: c.job, status: (c.done ? 'skipped' : 'queued') as Status, seconds: undefined as number | undefined, error: undefined as string | undefined })) }]));
  const partOf = new Map([...rows.values()].flatMap((r) => (r.parts ?? []).map((c) => [c.job.id, { row: r, part: c }] as const)));
  const partName = (name: string, row: { job: { name: string } }) => name.slice(row.job.name.length + 1);
  const counts = { total: planned.length, done: 0, failed: 0, skipped: 0 };
  for (const r of rows.values()) if (r.status === 'skipped') counts.skipped++; else if (r.status === 'failed') counts.failed++;
  const display = new BatchProgress(mode, counts, s.url ? 1 : s.workers);
  for (const r of rows.values()) if (r.status === 'failed') display.end(r.job.id, r.job.name, 'failed', undefined, r.error);
  if (mode === 'lines' && counts.skipped) process.stderr.write(`batch: ${counts.skipped} of ${counts.total} jobs already done (their report.json exists): skipped\n`);
  const started = performance.now();
  await mkdir(dir, { recursive: true });
  const controller = new AbortController();
  const done = whileRunning((signal) => {
    if (!s.quiet) process.stderr.write(`\n${signal === 'SIGINT' ? 'Interrupted' : `Got ${signal}`}: stopping; finished jobs are kept, the same command finishes the rest (again to quit now)\n`);
    controller.abort();
  });
  // A chunked job: its chunks not done yet, then its join, which the queue runs after them.
  const todo = [...rows.values()].filter((r) => r.status === 'queued').flatMap((r) => {
    if (!r.parts) return [r.job];
    const chunks = r.parts.filter((c) => c.status === 'queued').map((c) => c.job);
    return [...chunks, { ...r.job, after: chunks.map((c) => c.id) }];
  });
  try {
    const on = (e: import('../../queue/events.js').QueueEvent) => {
      const p = partOf.get(e.id);
      if (p) {
        const { row, part } = p;
        const label = partName(part.job.name, row);
        if (e.type === 'active') { part.status = 'running'; display.partActive(e.id, row.job.name, label, row.status !== 'running'); row.status = 'running'; }
        else if (e.type === 'progress') display.progress(e.id, e.progress);
        else if (e.type === 'completed') { part.status = 'done'; part.seconds = e.result.seconds; display.partEnd(e.id, row.job.name, label, 'done', e.result.seconds); }
        else { part.status = 'failed'; part.error = e.error; display.partEnd(e.id, row.job.name, label, 'failed', undefined, e.error); }
        return;
      }
      const r = rows.get(e.id);
      if (!r) return;
      if (e.type === 'active' && r.parts) { display.partActive(e.id, r.job.name, 'join', r.status !== 'running'); r.status = 'running'; }
      else if (e.type === 'active') { r.status = 'running'; display.active(e.id, r.job.name); }
      else if (e.type === 'progress') display.progress(e.id, e.progress);
      else if (e.type === 'completed') {
        // A chunked job's seconds: its join's and its chunks' in this run.
        r.status = 'done'; r.seconds = e.result.seconds + (r.parts ?? []).reduce((t, c) => t + (c.seconds ?? 0), 0); r.result = e.result; counts.done++;
        display.end(e.id, r.job.name, 'done', r.seconds);
      } else {
        r.status = 'failed'; r.error = e.error; counts.failed++;
        display.end(e.id, r.job.name, 'failed', undefined, e.error);
      }
    };
    if (todo.length > 0) {
      if (s.url) await (await import('../../queue/redis.js')).submitJobs(s.url, todo, on, controller.signal);
      else await (await import('../../queue/local.js')).runLocal(todo, { workers: s.workers }, on, controller.signal);
    }
  } finally {
    done();
    display.close();
  }
  for (const r of rows.values()) {
    if (r.status === 'queued' || r.status === 'running') r.status = 'interrupted';
    for (const c of r.parts ?? []) if (c.status === 'queued' || c.status === 'running') c.status = 'interrupted';
  }
  const list = [...rows.values()];
  const tally = (st: Status) => list.filter((r) => r.status === st).length;
  const report = {
    task, queue: s.url ?? 'in-process', ...(s.url ? {} : { workers: s.workers }), finishedAt: new Date().toISOString(),
    seconds: Math.round((performance.now() - started) / 10) / 100,
    counts: { total: list.length, done: tally('done'), skipped: tally('skipped'), failed: tally('failed'), interrupted: tally('interrupted') },
    jobs: list.map((r) => ({ name: r.job.name, status: r.status, inputs: r.job.inputs, out: r.job.out, ...(r.seconds !== undefined ? { seconds: r.seconds } : {}),
      ...(r.result ? { iterations: r.result.iterations, psnr: r.result.psnr } : {}), ...(r.error ? { error: r.error } : {}),
      ...(r.parts ? { chunks: r.parts.map((c) => ({ frames: `${c.job.frames!.start}:${c.job.frames!.end}`, status: c.status, out: c.job.out,
        ...(c.seconds !== undefined ? { seconds: c.seconds } : {}), ...(c.error ? { error: c.error } : {}) })) } : {}) })),
  };
  await writeFileAtomic(join(dir, 'batch-report.json'), JSON.stringify(report, null, 2) + '\n');
  if (mode === 'json') process.stdout.write(JSON.stringify({ type: 'batch', ...report.counts, seconds: report.seconds, report: join(dir, 'batch-report.json') }) + '\n');
  const failed = list.filter((r) => r.status === 'failed');
  const signal = stopSignal();
  if (failed.length > 0) {
    process.stderr.write(`batch: ${failed.length} of ${list.length} jobs failed (their folders are not written):\n` +
      failed.map((r) => `  ${r.job.name}: ${r.error}\n`).join('') + 'Fix them and run the same command again: finished jobs are skipped.\n');
  } else if (!s.quiet && mode !== 'json') {
    process.stderr.write(`batch: ${report.counts.done} done, ${report.counts.skipped} skipped${report.counts.interrupted ? `, ${report.counts.interrupted} not run` : ''} ` +
      `in ${report.seconds.toFixed(1)} s; report in ${join(dir, 'batch-report.json')}\n`);
  }
  if (signal) return signalExitCode(signal);
  return failed.length > 0 || report.counts.interrupted > 0 ? 1 : 0;
}
