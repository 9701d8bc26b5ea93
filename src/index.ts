// The double-dip library: tasks, the decomposition core, and image I/O.
export { segment, type SegmentOptions } from './tasks/segment.js';
export { separate, type SeparateOptions } from './tasks/separate.js';
export { complexity, type ComplexityOptions, type ComplexityCurve } from './tasks/complexity.js';
export type { TaskOptions, TaskResult, Report } from './tasks/common.js';
export { parseBox } from './tasks/hints.js';
export type { Box } from './image/hints.js';
export { OptionError, OPTIONS, TASK_OPTIONS, checkOptions, flagName, fieldName, type OptionErrorCode, type OptionName, type OptionSpec, type TaskName } from './tasks/options.js';
export { train, TrainingError, type Progress, type TrainOptions, type TrainResult } from './core/trainer.js';
export type { Decomposition, LayerSpec, Mixture, Term, Phase, Schedule, NoiseSpec } from './core/spec.js';
export { readImage, readImageBuffer, writeImage, encodePng } from './io/image-file.js';
export { writeTaskResult } from './io/outputs.js';
export type { Image } from './image/image.js';
export * as torch from './tensor/index.js';
