// Binary labelling of a pixel grid by minimum cut (Boykov & Jolly 2001): each pixel pays a cost
// for each label (the data term), and each pair of 8-neighbours pays `pair` if their labels
// differ (the smoothness term). The cut is found as a maximum flow by Boykov & Kolmogorov's
// algorithm (2004), the standard one for vision grids: it grows two search trees, from S and from
// T, and keeps them between augmentations (only the nodes cut off by a saturated edge are
// re-attached), where Dinic's rebuilds its BFS levels from scratch each phase; the augmenting
// paths on a grid are short and found in time near-linear in practice.

export interface GridCut {
  width: number;
  height: number;
  /** Cost of labelling pixel i foreground (Infinity: never). */
  fgCost: Float32Array;
  /** Cost of labelling pixel i background (Infinity: never). */
  bgCost: Float32Array;
  /** Cost of a label change between pixel i and its neighbour j. */
  pair: (i: number, j: number) => number;
}

/** Residual capacities at or below this are saturated. */
const EPS = 1e-9;
// parent[p]: FREE (in no tree), TERMINAL (a child of S or T), ORPHAN (its tree edge was just
// saturated) or the direction 0..7 from p to its parent in the tree.
const FREE = -1, TERMINAL = 8, ORPHAN = 9;
const INFINITE_D = 0x7fffffff;

/** The labelling of least total cost: 1 = foreground, 0 = background. */
export function minCut(g: GridCut): Uint8Array {
  const { width: w, height: h } = g;
  // The nodes are the pixels of a grid padded by one ring of nodes without edges, so every
  // neighbour index is in range: pixel (x, y) is node (y + 1) W + x + 1. Edge p*8 + d goes from p
  // to p + off[d]; its reverse (sister) is the edge of direction d ^ 4 from there.
  const W = w + 2, N = W * (h + 2);
  const off = Int32Array.of(1, W, W + 1, W - 1, -1, -W, -W - 1, -W + 1);
  const rc = new Float64Array(N * 8); // residual capacities of the edges between neighbours
  const tr = new Float64Array(N); // residual terminal capacity: > 0 from S, < 0 to T
  // The source side is foreground: a pixel on the sink side cuts S -> p (pays bgCost), one on the
  // source side cuts p -> T (pays fgCost). A shared part of both costs changes no labelling: keep
  // only the difference, so a node has one terminal edge at most.
  const big = 1e9;
  const cap = (v: number) => (Number.isFinite(v) ? Math.max(0, v) : big);
  const link = (p: number, d: number, c: number) => {
    if (c > 0) { rc[p * 8 + d] = c; rc[(p + off[d]) * 8 + (d ^ 4)] = c; }
  };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x, p = (y + 1) * W + x + 1;
    const f = cap(g.fgCost[i]), b = cap(g.bgCost[i]), m = Math.min(f, b);
    tr[p] = (b - m) - (f - m);
    if (x + 1 < w) link(p, 0, g.pair(i, i + 1));
    if (y + 1 < h) link(p, 1, g.pair(i, i + w));
    if (x + 1 < w && y + 1 < h) link(p, 2, g.pair(i, i + w + 1) * Math.SQRT1_2);
    if (x > 0 && y + 1 < h) link(p, 3, g.pair(i, i + w - 1) * Math.SQRT1_2);
  }

  const parent = new Int32Array(N).fill(FREE);
  const isSink = new Uint8Array(N); // the tree of a node with a parent: 0 S, 1 T
  // The distance heuristic of adoption: dist[p] is p's distance to its terminal, valid as of time ts[p].
  const ts = new Int32Array(N), dist = new Int32Array(N);
  let time = 0;
  // Active nodes (those that can still grow their tree) in a FIFO list: next[p] is -1 for an
  // inactive node, and the last node points to itself.
  const next = new Int32Array(N).fill(-1);
  let first = -1, last = -1;
  const setActive = (p: number) => {
    if (next[p] !== -1) return;
    if (last === -1) first = p; else next[last] = p;
    last = p;
    next[p] = p;
  };
  const nextActive = (): number => {
    while (first !== -1) {
      const p = first;
      first = next[p] === p ? -1 : next[p];
      if (first === -1) last = -1;
      next[p] = -1;
      if (parent[p] !== FREE) return p;
    }
    return -1;
  };
  // Orphans wait in a FIFO ring: a node is in it at most once (while its parent is ORPHAN).
  const orphans = new Int32Array(N);
  let orphanHead = 0, orphanCount = 0;
  const setOrphan = (p: number) => {
    parent[p] = ORPHAN;
    orphans[(orphanHead + orphanCount++) % N] = p;
  };

  for (let p = 0; p < N; p++) {
    if (tr[p] > EPS || tr[p] < -EPS) {
      parent[p] = TERMINAL; isSink[p] = tr[p] > 0 ? 0 : 1; dist[p] = 1;
      setActive(p);
    }
  }

  /** Pushes the bottleneck along S -> ... -> p -> q -> ... -> T (e = p*8 + d the edge p -> q); saturated tree edges leave orphans. */
  const augment = (e: number) => {
    const p = e >> 3, d0 = e & 7, q = p + off[d0], back = q * 8 + (d0 ^ 4);
    let bottleneck = rc[e];
    let u = p;
    for (;;) {
      const d = parent[u];
      if (d === TERMINAL) { bottleneck = Math.min(bottleneck, tr[u]); break; }
      const v = u + off[d];
      bottleneck = Math.min(bottleneck, rc[v * 8 + (d ^ 4)]);
      u = v;
    }
    for (u = q; ;) {
      const d = parent[u];
      if (d === TERMINAL) { bottleneck = Math.min(bottleneck, -tr[u]); break; }
      bottleneck = Math.min(bottleneck, rc[u * 8 + d]);
      u += off[d];
    }
    rc[e] -= bottleneck; rc[back] += bottleneck;
    for (u = p; ;) {
      const d = parent[u];
      if (d === TERMINAL) { tr[u] -= bottleneck; if (tr[u] <= EPS) setOrphan(u); break; }
      const v = u + off[d], down = v * 8 + (d ^ 4);
      rc[u * 8 + d] += bottleneck; rc[down] -= bottleneck;
      if (rc[down] <= EPS) setOrphan(u);
      u = v;
    }
    for (u = q; ;) {
      const d = parent[u];
      if (d === TERMINAL) { tr[u] += bottleneck; if (tr[u] >= -EPS) setOrphan(u); break; }
      const v = u + off[d], up = u * 8 + d;
      rc[v * 8 + (d ^ 4)] += bottleneck; rc[up] -= bottleneck;
      if (rc[up] <= EPS) setOrphan(u);
      u = v;
    }
  };

  /**
   * Finds orphan p a new parent in its own tree: of the neighbours with a residual edge to p (from
   * it, in T) whose path leads to the terminal, the one nearest to it. With none, p becomes free:
   * its children become orphans, and its tree's neighbours that could reach it become active.
   */
  const adopt = (p: number) => {
    const sink = isSink[p];
    let best = FREE, bestD = INFINITE_D;
    for (let d = 0; d < 8; d++) {
      const q = p + off[d];
      if (parent[q] === FREE || isSink[q] !== sink) continue;
      if (!((sink ? rc[p * 8 + d] : rc[q * 8 + (d ^ 4)]) > EPS)) continue;
      // The origin of q: walk up to the terminal, or to a node whose distance is known this time.
      let k = 0, u = q;
      for (;;) {
        if (ts[u] === time) { k += dist[u]; break; }
        const a = parent[u];
        k++;
        if (a === TERMINAL) { ts[u] = time; dist[u] = 1; break; }
        if (a === ORPHAN) { k = INFINITE_D; break; }
        u += off[a];
      }
      if (k === INFINITE_D) continue;
      if (k < bestD) { best = d; bestD = k; }
      for (u = q; ts[u] !== time; u += off[parent[u]]) { ts[u] = time; dist[u] = k--; }
    }
    if (best !== FREE) { parent[p] = best; ts[p] = time; dist[p] = bestD + 1; return; }
    parent[p] = FREE;
    for (let d = 0; d < 8; d++) {
      const q = p + off[d];
      if (parent[q] === FREE || isSink[q] !== sink) continue;
      if ((sink ? rc[p * 8 + d] : rc[q * 8 + (d ^ 4)]) > EPS) setActive(q);
      if (parent[q] === (d ^ 4)) setOrphan(q);
    }
  };

  let current = -1; // the active node that last found a path: it is scanned again first
  for (;;) {
    let p = current;
    if (p !== -1) { next[p] = -1; if (parent[p] === FREE) p = -1; }
    if (p === -1) { p = nextActive(); if (p === -1) break; }
    // Growth: claim free neighbours for p's tree, until an edge reaches the other tree.
    let path = -1; // the edge from the S tree to the T tree
    if (!isSink[p]) {
      for (let d = 0; d < 8; d++) {
        if (!(rc[p * 8 + d] > EPS)) continue;
        const q = p + off[d];
        if (parent[q] === FREE) {
          parent[q] = d ^ 4; isSink[q] = 0; ts[q] = ts[p]; dist[q] = dist[p] + 1;
          setActive(q);
        } else if (isSink[q]) { path = p * 8 + d; break; } else if (ts[q] <= ts[p] && dist[q] > dist[p]) {
          parent[q] = d ^ 4; ts[q] = ts[p]; dist[q] = dist[p] + 1;
        }
      }
    } else {
      for (let d = 0; d < 8; d++) {
        const q = p + off[d], e = q * 8 + (d ^ 4);
        if (!(rc[e] > EPS)) continue;
        if (parent[q] === FREE) {
          parent[q] = d ^ 4; isSink[q] = 1; ts[q] = ts[p]; dist[q] = dist[p] + 1;
          setActive(q);
        } else if (!isSink[q]) { path = e; break; } else if (ts[q] <= ts[p] && dist[q] > dist[p]) {
          parent[q] = d ^ 4; ts[q] = ts[p]; dist[q] = dist[p] + 1;
        }
      }
    }
    time++;
    if (path === -1) { current = -1; continue; }
    next[p] = p; // keeps p out of the active list while it is the current node
    current = p;
    augment(path);
    // Adoption: re-attach (or free) every orphan before growing again.
    while (orphanCount > 0) {
      const o = orphans[orphanHead];
      orphanHead = (orphanHead + 1) % N; orphanCount--;
      adopt(o);
    }
  }

  // Foreground: the S tree, which is every pixel still reachable from the source.
  const label = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const p = (y + 1) * W + x + 1;
    label[y * w + x] = parent[p] !== FREE && !isSink[p] ? 1 : 0;
  }
  return label;
}
