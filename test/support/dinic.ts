// The minimum cut by Dinic's max-flow: src/image/graph-cut.ts's implementation before it moved to
// Boykov-Kolmogorov, kept as the reference its labels are checked (and timed) against.
import type { GridCut } from '../../src/image/graph-cut.js';

/** The minimal source set of the minimum cut: 1 = foreground (source side). */
export function dinicMinCut(g: GridCut): Uint8Array {
  const { width: w, height: h } = g;
  const n = w * h, S = n, T = n + 1;
  // Edges in pairs (e, e ^ 1): forward and residual. The source side is foreground: a pixel on
  // the sink side cuts S -> i (pays bgCost), one on the source side cuts i -> T (pays fgCost).
  const big = 1e9;
  const cap = (v: number) => (Number.isFinite(v) ? Math.max(0, v) : big);
  const to: number[] = [], capacity: number[] = [], head = new Int32Array(n + 2).fill(-1), next: number[] = [];
  const add = (u: number, v: number, c: number, back: number) => {
    to.push(v); capacity.push(c); next.push(head[u]); head[u] = to.length - 1;
    to.push(u); capacity.push(back); next.push(head[v]); head[v] = to.length - 1;
  };
  for (let i = 0; i < n; i++) {
    // A shared part of both costs changes no labelling: keep only the difference.
    const f = cap(g.fgCost[i]), b = cap(g.bgCost[i]), m = Math.min(f, b);
    if (b - m > 0) add(S, i, b - m, 0);
    if (f - m > 0) add(i, T, f - m, 0);
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    const link = (j: number, scale: number) => { const c = g.pair(i, j) * scale; if (c > 0) add(i, j, c, c); };
    if (x + 1 < w) link(i + 1, 1);
    if (y + 1 < h) link(i + w, 1);
    if (x + 1 < w && y + 1 < h) link(i + w + 1, Math.SQRT1_2);
    if (x > 0 && y + 1 < h) link(i + w - 1, Math.SQRT1_2);
  }
  const cap_ = Float64Array.from(capacity), to_ = Int32Array.from(to), next_ = Int32Array.from(next);
  const level = new Int32Array(n + 2), queue = new Int32Array(n + 2), arc = new Int32Array(n + 2);
  const stack = new Int32Array(n + 2); // edges on the current path
  const bfs = (): boolean => {
    level.fill(-1);
    level[S] = 0;
    let qh = 0, qt = 0;
    queue[qt++] = S;
    while (qh < qt) {
      const u = queue[qh++];
      for (let e = head[u]; e !== -1; e = next_[e]) {
        if (cap_[e] > 1e-9 && level[to_[e]] < 0) { level[to_[e]] = level[u] + 1; queue[qt++] = to_[e]; }
      }
    }
    return level[T] >= 0;
  };
  while (bfs()) {
    arc.set(head);
    // Blocking flow: advance along level-increasing edges, retreat from dead ends, augment at T.
    let depth = 0, u = S;
    for (;;) {
      if (u === T) {
        let f = Infinity;
        for (let k = 0; k < depth; k++) f = Math.min(f, cap_[stack[k]]);
        for (let k = 0; k < depth; k++) { cap_[stack[k]] -= f; cap_[stack[k] ^ 1] += f; }
        // Restart from the first saturated edge's tail.
        let k = 0;
        while (k < depth && cap_[stack[k]] > 1e-9) k++;
        depth = k;
        u = depth === 0 ? S : to_[stack[depth - 1]];
        continue;
      }
      let e = arc[u];
      while (e !== -1 && !(cap_[e] > 1e-9 && level[to_[e]] === level[u] + 1)) e = next_[e];
      arc[u] = e;
      if (e !== -1) { stack[depth++] = e; u = to_[e]; continue; }
      if (u === S) break;
      level[u] = -1; // dead end
      depth--;
      u = depth === 0 ? S : to_[stack[depth - 1]];
      arc[u] = next_[arc[u]];
    }
  }
  // Foreground: the pixels still reachable from the source (the last BFS's levels).
  const label = new Uint8Array(n);
  bfs();
  for (let i = 0; i < n; i++) label[i] = level[i] >= 0 ? 1 : 0;
  return label;
}
