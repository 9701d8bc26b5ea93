// The double-dip library: every task, the task registry, the decomposition core, and image I/O.
// Each task checks its options with the registry's schema (an OptionError names the option and the
// value received) and leaves no global state changed: device and threads are set for its run only.

// Tasks.
export { segment, SEGMENT_RECIPE, type SegmentOptions, type SegmentResult } from './tasks/segment.js';
export { separate, SEPARATE_RECIPE, type SeparateOptions, type SeparateResult } from './tasks/separate.js';
export { dehaze, DEHAZE_RECIPE, type DehazeOptions, type DehazeRecipe, type DehazeResult, type DehazeMethod } from './tasks/dehaze.js';
export { dehazeDcp } from './tasks/dcp.js';
export type { DcpOptions } from './image/dcp.js';
export { removeWatermark, WATERMARK_RECIPE, type WatermarkOptions, type WatermarkResult } from './tasks/watermark.js';
export { videoSegment, videoSeparate, videoDehaze, imageFrames, VIDEO_RECIPE, type VideoOptions, type VideoMode } from './tasks/video.js';
export { complexity, COMPLEXITY_RECIPE, type ComplexityOptions, type ComplexityCurve } from './tasks/complexity.js';
export type { TaskOptions, TaskResult, Report, FrameSource, VideoResult } from './tasks/common.js';
export { parseBox } from './tasks/hints.js';
export type { Box } from './image/hints.js';

// The registry and the option schema: what every surface is made from.
export { TASKS, taskEntry, optionFields, optionsFromText, type TaskEntry, type TaskInput, type OptionField } from './tasks/registry.js';
export { OptionError, OPTIONS, TASK_OPTIONS, checkOptions, taskSchema, flagName, fieldName, type OptionErrorCode, type OptionName, type OptionSpec, type TaskName } from './tasks/options.js';
export { DoubleDipError, InputError, TrainingError } from './core/errors.js';

// The core: describe a decomposition as data and run it.
export { run, repeat, type Plan, type RunSettings, type RunResult } from './core/run.js';
export { workingSize } from './core/working-size.js';
export { train, type Progress, type TrainOptions, type TrainResult } from './core/trainer.js';
export type { Decomposition, LayerSpec, Mixture, Term, Phase, Schedule, NoiseSpec } from './core/spec.js';

// Images and files.
export { readImage, readImageBuffer, writeImage, encodePng } from './io/image-file.js';
export { fileFrames, readFrames, removeFrames } from './io/video-file.js';
export { writeTaskResult, writeVideoResult } from './io/outputs.js';
export { createImage, type Image } from './image/image.js';
export * as torch from './tensor/index.js';
