// Grouped DIPs: G nets of one shape as one grouped network compute exactly what the G nets do,
// draw no random numbers, and the trainer's grouped run equals its separate run.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/tensor/index.js';
import { skip, type ConfigName } from '../src/nn/skip.js';
import { groupNets } from '../src/nn/group.js';
import { train } from '../src/core/trainer.js';
import type { Decomposition } from '../src/core/spec.js';

const maxDiff = (a: torch.Tensor, b: torch.Tensor) => torch.tidy(() => a.sub(b).abs().max().item());

describe('grouped DIPs', () => {
  for (const config of ['A', 'B'] as ConfigName[]) { // B has skip branches: the per-group concat
    test(`config ${config}: the grouped net's outputs are each member's, head widths 3, 1, 3`, () => {
      torch.manualSeed(1);
      const nets = [skip(config, 2, 3), skip(config, 2, 1), skip(config, 2, 3)];
      const grouped = groupNets(nets);
      try {
        torch.tidy(() => torch.noGrad(() => {
          const zs = nets.map(() => torch.uniform([2, 2, 64, 64], 0, 0.1)); // a batch of two inputs
          const out = grouped.forward(torch.cat(zs, 1));
          assert.deepEqual(out.shape, [2, 9, 64, 64]);
          nets.forEach((n, j) => assert.ok(maxDiff(out.narrow(1, j * 3, n.outChannels), n.forward(zs[j])) < 1e-4, `member ${j}`));
        }));
      } finally {
        torch.dispose([...nets.flatMap((n) => n.parameters()), ...grouped.parameters()]);
      }
    });
  }

  test('grouping draws no random numbers, and refuses nets of different shapes', () => {
    torch.manualSeed(2);
    const nets = [skip('A', 2, 3), skip('A', 2, 3)];
    const before = torch.tidy(() => torch.uniform([4], 0, 1).toArray());
    torch.manualSeed(2);
    const again = [skip('A', 2, 3), skip('A', 2, 3)];
    const grouped = groupNets(again);
    const after = torch.tidy(() => torch.uniform([4], 0, 1).toArray());
    assert.deepEqual(after, before);
    const other = skip('A', 8, 3);
    assert.throws(() => groupNets([nets[0], other]), /share one configuration/);
    torch.dispose([...nets, ...again, other].flatMap((n) => n.parameters()).concat(grouped.parameters()));
  });

  test('the trainer: grouped and separate runs of one decomposition give the same layers', async () => {
    torch.manualSeed(5);
    const inputs = torch.keep(torch.uniform([1, 3, 48, 48], 0, 1));
    const noise = { channels: 2, scale: 0.1 };
    const d: Decomposition = {
      inputs,
      layers: [
        { name: 'fg', net: 'A', channels: 3, noise },
        { name: 'bg', net: 'A', channels: 3, noise: { ...noise, shareWith: 'fg' } },
        { name: 'mask', net: 'A', channels: 1, noise },
      ],
      mixtures: [{ kind: 'blend', mask: 'mask', a: 'fg', b: 'bg' }],
      // Two steps: later ones drift apart by rounding alone (as between thread counts), chaotically.
      phases: [{ name: 'p', iterations: 2, terms: [{ kind: 'reconstruction' }, { kind: 'exclusion', layers: ['fg', 'bg'] }] }],
    };
    const a = await train(d, { seed: 3, groupNets: false }), b = await train(d, { seed: 3, groupNets: true });
    try {
      for (const n of ['fg', 'bg', 'mask']) assert.ok(maxDiff(a.layers[n][0], b.layers[n][0]) < 1e-4, n);
      assert.ok(Math.abs(a.history[1].loss - b.history[1].loss) < 1e-5);
      assert.deepEqual([a.networks, b.networks], [3, 1]);
    } finally {
      for (const r of [a, b]) torch.dispose([...Object.values(r.layers).flat(), ...r.reconstructions]);
      inputs.dispose();
    }
  });

  test('DIPs of different inputs with one shared noise group too (several images\' clean layers), with the same layers', async () => {
    torch.manualSeed(6);
    const inputs = torch.keep(torch.uniform([2, 3, 32, 32], 0, 1));
    const noise = { channels: 2, scale: 0.1 };
    const d: Decomposition = {
      inputs,
      layers: [
        { name: 'clean1', net: 'A', channels: 3, noise, inputs: [0] },
        { name: 'clean2', net: 'A', channels: 3, noise, inputs: [1] },
        { name: 'W', net: 'A', channels: 3, noise },
        { name: 'm', net: 'A', channels: 1, noise },
        { name: 'own', net: 'A', channels: 1, noise: { ...noise, perInput: 'independent' } }, // a noise per input: its own group
      ],
      mixtures: [{ kind: 'blend', mask: 'm', a: 'W', b: 'clean1' }, { kind: 'blend', mask: 'm', a: 'W', b: 'clean2' }],
      phases: [{ name: 'p', iterations: 2, terms: [{ kind: 'reconstruction' }, { kind: 'binary', layer: 'own' }] }],
    };
    const a = await train(d, { seed: 4, groupNets: false }), b = await train(d, { seed: 4, groupNets: true });
    try {
      assert.deepEqual([a.networks, b.networks], [5, 2]);
      assert.ok(maxDiff(a.layers.clean1[0], b.layers.clean1[0]) < 1e-4);
      assert.ok(maxDiff(a.layers.clean2[1], b.layers.clean2[1]) < 1e-4);
      assert.ok(maxDiff(a.reconstructions[1], b.reconstructions[1]) < 1e-4);
    } finally {
      for (const r of [a, b]) torch.dispose([...Object.values(r.layers).flat().filter(Boolean), ...r.reconstructions]);
      inputs.dispose();
    }
  });
});
