// G DIPs of one configuration trained as one grouped network: the same maths (grouped convs and
// per-channel BN keep the groups apart), but each layer is one kernel call instead of G small ones,
// which is what these 8-128-channel nets are bound by (docs/benchmarks.md, "Grouped DIPs").
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { Skip } from './skip.js';

/**
 * One grouped Skip holding `nets`' parameters (copied; the nets are left as they are): group j is
 * nets[j]. Nets with fewer outputs than the widest get zero head rows, whose outputs nobody reads.
 * Building it draws no random numbers, so grouping leaves the run's random sequence unchanged.
 */
export function groupNets(nets: Skip[]): Skip {
  const [first] = nets;
  const key = (n: Skip) => JSON.stringify([n.config, n.inChannels, n.groups]);
  if (!first || nets.some((n) => key(n) !== key(first) || n.groups !== 1))
    throw new Error('groupNets: the nets must share one configuration and input channel count, ungrouped');
  const out = Math.max(...nets.map((n) => n.outChannels));
  const state = torch.getRngState();
  const grouped = new Skip(first.config, first.inChannels, out, nets.length);
  torch.setRngState(state);
  const params = grouped.parameters(), members = nets.map((n) => n.parameters());
  torch.noGrad(() => torch.tidy(() => {
    params.forEach((p, i) => {
      // Every parameter's first dimension is its output channels: group j's are rows [j*n, (j+1)*n).
      const n = p.size(0) / nets.length;
      members.forEach((m, j) => {
        const rows = p.narrow(0, j * n, n), own = m[i].size(0);
        rows.narrow(0, 0, own).copy_(m[i]);
        if (own < n) rows.narrow(0, own, n - own).copy_(torch.zeros([n - own, ...m[i].shape.slice(1)]));
      });
    });
  }));
  return grouped;
}
