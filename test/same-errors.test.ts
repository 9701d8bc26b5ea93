// One schema, one message: a bad value of any option is refused by the command line, the web API
// and the library with the same text, only the option's name rendered as each surface shows it
// (--iterations, "iterations", iterations), and the same code. The command runs in this process,
// the web server on a free port.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../src/web/server.js';
import { encodePng } from '../src/io/image-file.js';
import { squareScene } from './support/images.js';
import { main } from '../src/cli/main.js';
import { TASKS, optionFields, type TaskName } from '../src/tasks/registry.js';
import { OPTIONS, OptionError, checkOptions, flagName, type OptionName } from '../src/tasks/options.js';

/** A text each option reads without complaint but its schema refuses (so every surface reaches the schema). */
const BAD: Partial<Record<OptionName, string>> = {
  iterations: '0', maxSeconds: '0', size: '5000', seed: '-1', device: 'gpu', threads: '0',
  box: '-1,0,10,10', hintsAfter: '-1', model: 'bogus', layers: 'bogus', coefficients: 'bogus', method: 'bogus', passes: '4',
  darkChannel: '-1', airlightGrid: '0', airlightPull: '2000', transmissionHint: '-0.5', transmissionHintAfter: 'lots',
  runs: '0', sparsity: '-1', exclusion: '1001', clean: 'both', opacity: 'bogus', batch: '0', hints: 'some',
};
/** Texts refused by the text form itself (words, colours in 0-255): the command line and the web say the same. */
const BAD_TEXT: Partial<Record<OptionName, string>> = { growHints: 'maybe', darkChannelByT: 'maybe', airlight: '0,0,0', markColour: 'pink' };

/** The command's words and an input for a task (the option check comes before any file is read). */
const argvOf = (task: TaskName) => [...task.split(' '), task === 'separate' ? 'a.png' : 'in.png', '-o', '/nonexistent/out'];

/** Runs the command in this process; returns its exit code and what it wrote to stderr. */
async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr };
  } finally {
    process.stderr.write = write;
  }
}

/** The message with the option's name as each surface writes it put back to the library's. */
const plain = (message: string, option: string) => message.split(flagName(option)).join(option).split(`"${option}"`).join(option);

const cases = Object.keys(TASKS).flatMap((task) => optionFields(task as TaskName).filter((f) => !f.image).map((f) => ({ task: task as TaskName, field: f })));

describe('the same bad value gets the same message everywhere', () => {
  let dataDir: string, srv: RunningServer, png: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'double-dip-same-errors-'));
    srv = await startServer({ port: 0, dataDir });
    png = (await encodePng(squareScene(48, 48))).toString('base64');
  });
  after(async () => {
    await srv?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** POSTs a job with one option as form text; returns the status and the error body. */
  async function web(task: TaskName, option: string, text: string): Promise<{ status: number; error: string; code?: string; option?: string }> {
    const input = TASKS[task].inputs.kind === 'video' ? { video: png } : { images: [png] };
    const res = await fetch(`${srv.url}api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task, ...input, options: { [option]: text } }) });
    return { status: res.status, ...(await res.json()) as { error: string; code?: string; option?: string } };
  }

  test('every option a person can set has a bad value here', () => {
    const missing = [...new Set(cases.map((c) => c.field.name))].filter((n) => BAD[n] === undefined && BAD_TEXT[n] === undefined);
    assert.deepEqual(missing, []);
  });

  for (const { task, field } of cases) {
    const text = BAD[field.name] ?? BAD_TEXT[field.name]!;
    test(`${task} ${flagName(field.name)} ${text}`, async () => {
      const { code, stderr } = await cli([...argvOf(task), `${flagName(field.name)}=${text}`]);
      assert.equal(code, 2, stderr);
      const line = /error: (.*)\n/.exec(stderr)?.[1] ?? '';
      assert.ok(line.includes(flagName(field.name)), `names ${flagName(field.name)}: ${line}`);
      // The web API, given the same text as a form field.
      const w = await web(task, field.name, text);
      assert.equal(w.status, 400, w.error);
      assert.equal(plain(w.error, field.name), plain(line, field.name), 'the web and the command line say the same');
      assert.ok(w.error.includes(`"${field.name}"`), `the web names "${field.name}": ${w.error}`);
      assert.equal(w.option, field.name);
      assert.match(w.code ?? '', /^ERR_OPTION_/);
      if (BAD[field.name] === undefined) return; // a text form's own words (0-255 colours, yes/no): the library takes values
      // The library, given the value the text reads as.
      const value = OPTIONS[field.name].fromText!(text, field.name);
      let err: unknown;
      try { checkOptions(task, { [field.name]: value }, { images: 1 }); } catch (e) { err = e; }
      assert.ok(err instanceof OptionError, `the library refuses ${field.name} ${JSON.stringify(value)}`);
      assert.equal(plain(line, field.name), err.message);
      assert.equal(err.code, w.code, 'the same code');
    });
  }
});
