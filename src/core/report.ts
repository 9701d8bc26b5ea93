// report.json: what ran (the recipe as data, the settings, the engine as used) and how it ended.
import * as torch from '../tensor/index.js';
import type { Image } from '../image/image.js';
import type { Plan, RunResult } from './run.js';
import type { Report } from './result.js';

/** The options a report echoes. */
export interface ReportedOptions { size?: number; iterations?: number; maxSeconds?: number }

/** The engine as a report states it: the device used and the thread count in effect. */
export function engineReport(device: string, threads?: number): Report['engine'] {
  const info = torch.engineInfo();
  return { torch: info.torchVersion, device, threads: threads ?? info.threads, allocator: info.allocator };
}

export function makeReport(task: string, inputs: Pick<Image, 'width' | 'height'>[], size: { width: number; height: number }, r: RunResult,
  plan: Plan, o: ReportedOptions & { size: number }, extra: Record<string, unknown> = {}): Report {
  const last = r.history[r.history.length - 1];
  return {
    task,
    inputs: inputs.map((i) => ({ width: i.width, height: i.height })),
    processedSize: size,
    iterations: r.iterations,
    plannedIterations: r.plannedIterations,
    seconds: Math.round(r.seconds * 100) / 100,
    stopReason: r.stopReason,
    psnr: Math.round(r.psnr * 1000) / 1000,
    finalLosses: last ? { total: last.loss, ...last.terms } : {},
    seed: r.seed,
    settings: {
      size: o.size, iterations: o.iterations ?? null, maxSeconds: o.maxSeconds ?? null,
      layers: plan.layers.map(({ name, net, channels, noise, output, size: s }) => ({ name, net, channels, noise, output, size: s })),
      mixtures: plan.mixtures, phases: plan.phases, batch: plan.batch ?? null,
    },
    engine: engineReport(r.device, r.threads),
    ...extra,
  };
}
