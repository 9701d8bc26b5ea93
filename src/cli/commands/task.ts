// One command for every image task of the registry: its flags, --help, input count and option
// checks all come from the task's declaration; images are read, the task run, the outputs written.
import { TASKS, optionFields, type TaskName } from '../../tasks/registry.js';
import { flagName } from '../../tasks/options.js';
import { taskHelp } from '../help.js';
import { UsageError, parse, requireOutput, taskOptions } from '../options.js';
import type { TaskResult } from '../../tasks/common.js';

const count = (n: number) => (n === 1 ? 'one IMAGE' : `${n} images`);

export function imageTaskCommand(task: TaskName) {
  const entry = TASKS[task];
  if (entry.inputs.kind !== 'images') throw new Error(`${task} is not an image task`);
  const { min, max } = entry.inputs;
  return {
    summary: entry.summary,
    get help() { return taskHelp(task); },
    async run(argv: string[]): Promise<number> {
      const fields = optionFields(task);
      const { values, positionals } = parse(argv, Object.fromEntries(fields.map((f) => [flagName(f.name).slice(2), { type: 'string' as const }])));
      if (values.help) { process.stdout.write(taskHelp(task) + '\n'); return 0; }
      // Loaded after --help, which stays quick without sharp.
      const [{ readImage }, { runTask }] = await Promise.all([import('../../io/image-file.js'), import('../run.js')]);
      const n = positionals.length;
      if (n < min || n > max)
        throw new UsageError(min === max ? `${task} takes ${count(min)}, got ${n}`
          : max <= 2 ? `${task} takes ${min === 1 ? 'one' : min} or ${max === 2 ? 'two' : max} images, got ${n}`
            : `${task} takes ${min} to ${max} images, got ${n}`);
      const options = taskOptions<Record<string, unknown>>(values, task, n);
      const dir = await requireOutput(values);
      const images = await Promise.all(positionals.map((p) => readImage(p)));
      if (images.length > 1) {
        const [a] = images;
        const i = images.findIndex((b) => b.width !== a.width || b.height !== a.height);
        if (i > 0) throw new UsageError(`Input images must have the same size: ${positionals[0]} is ${a.width}x${a.height} but ${positionals[i]} is ${images[i].width}x${images[i].height}. Resize them to one size first.`);
      }
      // Options that are image files (--hint) are read here; the task checks them against the image before any work.
      for (const f of fields) if (f.image && typeof values[flagName(f.name).slice(2)] === 'string') options[f.name] = await readImage(String(values[flagName(f.name).slice(2)]));
      return runTask(task, dir, values as never, options, (o) => entry.run({ images }, o as Record<string, unknown>) as Promise<TaskResult>, positionals);
    },
  };
}
