#!/usr/bin/python3
# The Python PyTorch reference for bench/step.ts: one DIP training step (forward + backward +
# Adam, MSE to a random target, batch 1, noise U(0, 0.1)) of the network src/nn/skip.ts builds,
# layer for layer:
#   Conv2d      = reflection pad (k-1)//2 (when > 0) + conv k x k with bias, PyTorch default init
#   convBlock   = Conv2d -> BatchNorm2d (training mode: batch statistics, no running buffers,
#                 eps 1e-5, affine) -> LeakyReLU(0.2)
#   level i     = down: convBlock(d, c, k, stride 2), convBlock(c, c, k); then level i+1;
#                 then bilinear upsample to the input size (align_corners=True);
#                 skip (s > 0): convBlock(d, s, 1); concat [skip, deeper] on channels;
#                 merge: BatchNorm2d(s + below), convBlock(s + below, c, k), convBlock(c, c, 1)
#   head        = Conv2d(c0, out, 1) -> sigmoid
# Run with /usr/bin/python3 (Debian python3-torch), e.g.
#   /usr/bin/python3 bench/step_reference.py --spec '{"channels":[8,16,32],"skip":[0,0,0],"kernel":3}' --in-ch 8 --size 128
# Prints one JSON line: median/min/max ms per step, parameter count, threads, final loss.
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    'A': dict(channels=[8, 16, 32], skip=[0, 0, 0], kernel=3),
    'B': dict(channels=[8, 16, 32, 64, 128], skip=[0, 0, 0, 4, 4], kernel=3),
    'C': dict(channels=[8, 16, 32, 64, 128], skip=[0, 0, 0, 4, 4], kernel=5),
    'D': dict(channels=[8, 16, 32, 64], skip=[0, 0, 0, 4], kernel=3),
    'dip': dict(channels=[128] * 5, skip=[4] * 5, kernel=3),
}


class Conv2d(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        p = (k - 1) // 2
        self.pad = nn.ReflectionPad2d(p) if p > 0 else None
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=0, bias=True)

    def forward(self, x):
        return self.conv(self.pad(x) if self.pad is not None else x)


def batch_norm(c):
    # training-mode statistics of the one image; no running statistics, as the TS BatchNorm2d
    return nn.BatchNorm2d(c, eps=1e-5, track_running_stats=False)


def conv_block(cin, cout, k, stride=1):
    return nn.Sequential(Conv2d(cin, cout, k, stride), batch_norm(cout), nn.LeakyReLU(0.2))


class Level(nn.Module):
    def __init__(self, cfg, i, cin):
        super().__init__()
        c, s, k = cfg['channels'][i], cfg['skip'][i], cfg['kernel']
        self.skip = conv_block(cin, s, 1) if s > 0 else None
        self.down = nn.Sequential(conv_block(cin, c, k, 2), conv_block(c, c, k))
        self.deeper = Level(cfg, i + 1, c) if i + 1 < len(cfg['channels']) else None
        below = cfg['channels'][i + 1] if self.deeper is not None else c
        self.merge = nn.Sequential(batch_norm(s + below), conv_block(s + below, c, k), conv_block(c, c, 1))

    def forward(self, x):
        h = self.down(x)
        if self.deeper is not None:
            h = self.deeper(h)
        h = F.interpolate(h, size=(x.shape[2], x.shape[3]), mode='bilinear', align_corners=True)
        if self.skip is not None:
            h = torch.cat([self.skip(x), h], 1)
        return self.merge(h)


class Skip(nn.Module):
    def __init__(self, cfg, in_ch, out_ch):
        super().__init__()
        self.body = Level(cfg, 0, in_ch)
        self.head = Conv2d(cfg['channels'][0], out_ch, 1)

    def forward(self, z):
        return torch.sigmoid(self.head(self.body(z)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='A', help='A, B, C, D or dip (ignored when --spec is given)')
    ap.add_argument('--spec', default=None, help='JSON {channels, skip, kernel}, as src/nn/skip.ts SkipConfig')
    ap.add_argument('--in-ch', type=int, default=8)
    ap.add_argument('--out-ch', type=int, default=3)
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--lr', type=float, default=1e-3)
    a = ap.parse_args()
    cfg = json.loads(a.spec) if a.spec else CONFIGS[a.config]

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    net = Skip(cfg, a.in_ch, a.out_ch)
    z = torch.rand(1, a.in_ch, a.size, a.size) * 0.1
    target = torch.rand(1, a.out_ch, a.size, a.size)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)

    times = []
    loss_value = float('nan')
    for it in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = (net(z) - target).square().mean()
        loss.backward()
        opt.step()
        loss_value = loss.item()
        ms = (time.perf_counter() - t0) * 1000
        if it >= a.warmup:
            times.append(ms)
    times.sort()
    print(json.dumps(dict(
        engine='python3-torch-' + torch.__version__, median_ms=times[len(times) // 2], min_ms=times[0], max_ms=times[-1],
        params=sum(p.numel() for p in net.parameters()), threads=torch.get_num_threads(), steps=a.steps, warmup=a.warmup,
        final_loss=loss_value, times_ms=times)))


if __name__ == '__main__':
    main()
