// The tasks as the web page offers them: every task of the registry (its own words, inputs,
// outputs and option fields), and the checks of a box or hint mask made when a job is sent, by
// the task's own rules, so that a job is never queued only to fail on them later.
import type { Image } from '../image/image.js';
import { assertBoxInside, hintsFromMask } from '../tasks/hints.js';
import { TASKS, optionFields, type OptionField, type TaskEntry, type TaskName } from '../tasks/registry.js';
import { checkSegmentBox } from '../tasks/segment.js';
import { markRegion } from '../tasks/watermark.js';

/** A task as GET /api/tasks lists it. */
export interface WebTask {
  name: TaskName;
  /** The name as the page's list shows it: "Segment", "Video: dehaze". */
  label: string;
  summary: string;
  about: string;
  inputs: TaskEntry['inputs'];
  outputs: readonly string[];
  options: OptionField[];
}

const label = (name: string) => name.replace(/^\w/, (c) => c.toUpperCase()).replace(' ', ': ');

/** Every task of the registry, as the page builds its form from. */
export function webTasks(): WebTask[] {
  return Object.values(TASKS).map(({ name, summary, about, inputs, outputs }) =>
    ({ name, label: label(name), summary, about, inputs, outputs, options: optionFields(name) }));
}

/** A box in pixels of the input, as the tasks' checks take it. */
type Box = Parameters<typeof assertBoxInside>[0];

/** What a region check sees: the images' count and size (already checked equal), the working size, a box, a hint mask of their size. */
export interface RegionCheck { count: number; width: number; height: number; size?: number; box?: Box; hint?: Image }

/** The tasks' own rules for a box or a hint mask (their messages go to the page). */
const REGION_CHECKS: Partial<Record<TaskName, (h: RegionCheck) => void>> = {
  segment: ({ hint, box, width, height, size }) => { if (hint) hintsFromMask(hint, width, height); if (box) checkSegmentBox(box, width, height, size); },
  watermark: ({ hint, width, height }) => { if (hint) markRegion(width, height, { hint }); },
};

/** Checks a job's box (inside the image) and hint mask by the task's rules; throws the task's error. */
export function checkRegion(task: TaskName, h: RegionCheck): void {
  if (h.box) assertBoxInside(h.box, h.width, h.height);
  REGION_CHECKS[task]?.(h);
}
