// One schema, one message: a bad value of any option is refused by the command line, the web API
// and the library with the same text, only the option's name rendered as each surface shows it
// (--iterations, "iterations", iterations), and the same code.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { TASKS, optionFields, type TaskName } from '../src/tasks/registry.js';
import { OPTIONS, OptionError, checkOptions, flagName, type OptionName } from '../src/tasks/options.js';

/** A text each option reads without complaint but its schema refuses (so every surface reaches the schema). */
const BAD: Partial<Record<OptionName, string>> = {
  iterations: '0', maxSeconds: '0', size: '5000', seed: '-1', device: 'gpu', threads: '0',
  box: '-1,0,10,10', hintsAfter: '-1', model: 'bogus', layers: 'bogus', method: 'bogus', passes: '4',
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
      if (BAD[field.name] === undefined) return; // a text form's own words: checked against the web below
      // The library, given the value the text reads as.
      const value = OPTIONS[field.name].fromText!(text, field.name);
      let err: unknown;
      try { checkOptions(task, { [field.name]: value }, { images: 1 }); } catch (e) { err = e; }
      assert.ok(err instanceof OptionError, `the library refuses ${field.name} ${JSON.stringify(value)}`);
      assert.equal(plain(line, field.name), err.message);
      assert.match(err.code, /^ERR_OPTION_/);
    });
  }
});
