// What a task gives back: its images at the input's resolution, a report of how it ran, and the
// loss history. The files under io/ write these; tasks make them.
import type { Image } from '../image/image.js';
import type { HistoryPoint, TrainResult } from './trainer.js';

export interface Report {
  task: string;
  inputs: { width: number; height: number }[];
  processedSize: { width: number; height: number };
  iterations: number;
  plannedIterations: number;
  seconds: number;
  stopReason: TrainResult['stopReason'];
  psnr: number;
  finalLosses: Record<string, number>;
  seed: number;
  settings: Record<string, unknown>;
  /** The engine as the run used it: the device and thread count actually in effect. */
  engine: { torch: string; device: string; threads: number; allocator: string };
  /**
   * The task's own verdict on its result (src/image/checks.ts): 'low' when it saw a failure sign,
   * each named in `concerns` (one sentence: what was seen, the number, what to do). Every image
   * task sets both; the video tasks do not check their results yet and leave them out.
   */
  confidence?: 'high' | 'low';
  concerns?: string[];
  [extra: string]: unknown;
}

/** A task's result; `Names`: the names of its images (each task's result type says which it gives when). */
export interface TaskResult<Names extends string = string> {
  task: string;
  /**
   * Output images at input resolution, by file stem (e.g. mask, foreground). Most are LazyImages,
   * made a strip of rows at a time when read: reading `data` makes one whole.
   */
  images: Record<string, Image> & Record<Names, Image>;
  report: Report;
  history: HistoryPoint[];
}

/** Frames to decompose, loaded one at a time. */
export interface FrameSource {
  count: number;
  width: number;
  height: number;
  load(k: number): Promise<Image>;
}

export interface VideoResult {
  task: string;
  count: number;
  /** Output folders, in order. */
  folders: string[];
  /** Frame k of every folder at the input resolution. `input` is the original frame k (used to refine masks). */
  frame(k: number, input?: Image): Record<string, Image>;
  report: Report;
  history: HistoryPoint[];
  /** Kept for callers written before results were host images; frees nothing now. */
  dispose(): void;
}
