// The classic Dark Channel Prior dehazer as a task: no training, a report as every task's. The
// maths is src/image/dcp.ts.
import type { Image } from '../image/image.js';
import { constantImage } from '../image/lazy-image.js';
import { toRgb } from '../image/resize.js';
import { DCP_DEFAULTS, dcpDehaze, type DcpOptions } from '../image/dcp.js';
import type { Report, TaskResult } from './common.js';
import { engineReport } from '../core/report.js';

export function dehazeDcp(image: Image, options: DcpOptions = {}): TaskResult {
  const start = performance.now();
  const o = { ...DCP_DEFAULTS, ...options };
  const { A, transmission: t, dehazed, psnr } = dcpDehaze(toRgb(image), o);
  const report: Report = {
    task: 'dehaze', method: 'dcp',
    inputs: [{ width: image.width, height: image.height }],
    processedSize: { width: image.width, height: image.height },
    iterations: 0, plannedIterations: 0,
    seconds: Math.round((performance.now() - start) / 10) / 100,
    stopReason: 'completed', psnr: Math.round(psnr * 1000) / 1000, finalLosses: {}, seed: 0,
    settings: { ...o },
    engine: engineReport('cpu'), // host-side only: no training
    A0: A.map((v) => Math.round(v * 1e4) / 1e4), airlightEstimator: options.airlight ? 'given' : `dark channel: ${o.airlightMode}`,
  };
  return { task: 'dehaze', images: { dehazed, transmission: t, airlight: constantImage(image.width, image.height, A) }, report, history: [] };
}
