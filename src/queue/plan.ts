// A batch's jobs from the command line: inputs (files, folders of images, globs) or a manifest
// (one JSON job per line), an output folder per job named after its input, unique, and which jobs
// are already done (their report.json exists: a re-run resumes).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { IMAGE_EXTENSIONS } from '../io/video-file.js';
import { OptionError, fieldName, optionFromText } from '../tasks/options.js';
import { JobError, checkJob, type QueueJob } from './job.js';

/** A batch's mistake in how it was asked (a usage error: exit 2, nothing written). */
export class PlanError extends Error {}

/** One job as asked: its inputs, its own options (over the command line's), its name. */
export interface Entry { inputs: string[]; options: Record<string, unknown>; name?: string; frames?: { start: number; end: number }; where: string }

/** A job ready to queue, one already done (skipped), or one refused by its checks (failed alone). A long clip's job has its chunk jobs as `parts` (chunks.ts). */
export type Planned = { job: QueueJob; state: 'queued' | 'skipped'; parts?: { job: QueueJob; done: boolean }[] } | { job: QueueJob; state: 'failed'; error: string };

const GLOB = /[*?[]/;
const isImage = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

/** A glob segment (*, ?, [abc]) as a regular expression; * and ? never match "/" nor a leading ".". */
function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 1);
      if (close < 0) { re += '\\['; continue; }
      re += `[${seg.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^(?!\\.)${re}$`);
}

/**
 * A glob's matches, sorted: *, ? and [...] within path segments (no **). Node 20 has no fs.glob;
 * a shell usually expands globs before they get here, this is for quoted ones and manifests.
 */
export function expandGlob(pattern: string): string[] {
  const abs = resolve(pattern);
  const parts = abs.split(sep).filter(Boolean);
  let paths: string[] = [sep];
  for (const part of parts) {
    if (!GLOB.test(part)) { paths = paths.map((p) => join(p, part)); continue; }
    const re = segmentRegex(part);
    paths = paths.flatMap((p) => {
      try { return readdirSync(p).filter((n) => re.test(n)).sort().map((n) => join(p, n)); } catch { return []; }
    });
  }
  return paths.filter((p) => { try { statSync(p); return true; } catch { return false; } });
}

/**
 * The inputs of one-input jobs from the command line's INPUTs: a file as it is (a missing one fails
 * its job alone), a folder's images sorted by name (for a video task a folder is one clip of
 * frames), a glob's matches. A glob without matches, or a folder without images, is a usage error.
 */
export function expandInputs(args: string[], video: boolean): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (GLOB.test(arg) && !exists(arg)) {
      const found = expandGlob(arg).filter((p) => video || (isFile(p) && isImage(p)) || isDir(p));
      if (found.length === 0) throw new PlanError(`No ${video ? 'files' : 'images'} match "${arg}": check the pattern (quote it so that the shell leaves it to double-dip).`);
      out.push(...found.flatMap((p) => (!video && isDir(p) ? folderImages(p, arg) : [p])));
    } else if (!video && isDir(arg)) out.push(...folderImages(arg, arg));
    else out.push(resolve(arg));
  }
  return out;
}

function folderImages(dir: string, arg: string): string[] {
  const names = readdirSync(dir).filter((n) => isImage(n) && isFile(join(dir, n))).sort();
  if (names.length === 0) throw new PlanError(`The folder "${arg}" has no images (${[...IMAGE_EXTENSIONS].join(', ')}): give image files or another folder.`);
  return names.map((n) => resolve(dir, n));
}

const exists = (p: string) => { try { statSync(p); return true; } catch { return false; } };
const isFile = (p: string) => { try { return statSync(p).isFile(); } catch { return false; } };
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

/**
 * A manifest: one job per line, {"inputs": [...], "options": {...}, "name": "..."}; blank lines
 * and lines starting with # are skipped. Relative paths are relative to the manifest's folder.
 * Throws PlanError naming the line.
 */
export function readManifest(path: string): Entry[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new PlanError(`Cannot read the manifest "${path}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}. Give a JSONL file with --manifest.`);
  }
  const base = dirname(resolve(path));
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${path}:${i + 1}`;
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) {
      throw new PlanError(`${where}: not JSON (${(e as Error).message}). Each line is one job: {"inputs": ["a.png"], "options": {"iterations": 500}, "name": "a"}.`);
    }
    const o = v as { inputs?: unknown; options?: unknown; name?: unknown; frames?: unknown };
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Array.isArray(o.inputs) || o.inputs.length === 0 || !o.inputs.every((p) => typeof p === 'string'))
      throw new PlanError(`${where}: expected {"inputs": ["FILE", ...], "options": {...}, "name": "..."} with at least one input.`);
    if (o.options !== undefined && (typeof o.options !== 'object' || o.options === null || Array.isArray(o.options)))
      throw new PlanError(`${where}: "options" must be an object, e.g. {"box": "10,10,40,40"}.`);
    if (o.name !== undefined && (typeof o.name !== 'string' || !/^[^/\\]+$/.test(o.name) || o.name === '.' || o.name === '..'))
      throw new PlanError(`${where}: "name" must be a folder name (no "/"), got ${JSON.stringify(o.name)}.`);
    const extra = Object.keys(v as object).filter((k) => !['inputs', 'options', 'name', 'frames'].includes(k));
    if (extra.length) throw new PlanError(`${where}: unknown field "${extra[0]}": a job has "inputs", "options", "name" and (video) "frames".`);
    let frames: Entry['frames'];
    if (o.frames !== undefined) {
      let f: { start?: unknown; end?: unknown };
      try { f = (typeof o.frames === 'string' ? optionFromText('frames', o.frames) : o.frames) as typeof f; } catch (e) {
        if (e instanceof OptionError) throw new PlanError(`${where}: ${e.format(fieldName)}.`);
        throw e;
      }
      if (!Number.isInteger(f?.start) || !Number.isInteger(f?.end) || (f.start as number) < 0 || (f.end as number) <= (f.start as number))
        throw new PlanError(`${where}: "frames" must be "A:B" with 0 <= A < B (frames A to B-1), got ${JSON.stringify(o.frames)}.`);
      frames = { start: f.start as number, end: f.end as number };
    }
    entries.push({ inputs: (o.inputs as string[]).map((p) => resolve(base, p)), options: (o.options ?? {}) as Record<string, unknown>,
      ...(o.name ? { name: o.name as string } : {}), ...(frames ? { frames } : {}), where });
  });
  if (entries.length === 0) throw new PlanError(`The manifest "${path}" has no jobs: write one JSON object per line.`);
  return entries;
}

/** Output folder names: each entry's name or its first input's name, made unique in order ("a", "a-2", ...). */
export function uniqueNames(entries: Entry[]): string[] {
  const used = new Set<string>();
  return entries.map((e) => {
    const stem = e.name ?? (basename(e.inputs[0], extname(e.inputs[0])) || 'job');
    let name = stem;
    for (let k = 2; used.has(name.toLowerCase()); k++) name = `${stem}-${k}`;
    used.add(name.toLowerCase());
    return name;
  });
}

/** A job's id: from its output folder, so the same folder is the same job in every queue and every run. */
export const jobId = (out: string) => `j${createHash('sha1').update(out).digest('hex').slice(0, 16)}`;

/** The jobs of `entries` for `task` into `dir`, each checked (a bad one fails alone) and skipped when its report.json exists. */
export function planJobs(task: string, entries: Entry[], options: Record<string, unknown>, dir: string): Planned[] {
  const names = uniqueNames(entries);
  return entries.map((e, i) => {
    const out = resolve(dir, names[i]);
    const raw: QueueJob = { id: jobId(out), name: names[i], task, inputs: e.inputs, options: { ...options, ...e.options }, out,
      ...(e.frames ? { frames: e.frames } : {}) };
    if (exists(join(out, 'report.json'))) return { job: raw, state: 'skipped' };
    try {
      return { job: checkJob(raw), state: 'queued' };
    } catch (err) {
      if (!(err instanceof JobError)) throw err;
      return { job: raw, state: 'failed', error: err.message };
    }
  });
}
