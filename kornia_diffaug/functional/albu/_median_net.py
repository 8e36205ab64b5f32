"""The exact ``k x k`` median as a separable min/max network on row tiles (after Adams, "Fast median filters using
separable sorting networks", 2021).

The output rows are grouped in tiles of ``s`` rows (``s = TILE[k]``), and the network is evaluated once per tile:
its inputs are the ``s`` row phases of the padded image (phase ``p`` holds rows ``s * i + p``), and a value is a
reference ``(node, dy, dx)``: node ``node`` read at the tile's corner shifted by ``dy`` tiles and ``dx`` columns.
Two values computed the same way at different shifts are one node (hash-consed), so a node is one whole-chunk
``torch.minimum``/``torch.maximum`` on the tile lattice, and costs ``1 / s`` of a pass per output pixel.

Each row of ``k`` pixels is sorted once (shared by the ``k`` windows on that row and, through the phases, by every
tile); the ``k`` rows of a window are merged pairwise in a tree. The ``s`` windows of a tile share rows
``s - 1 .. k - 1``: their block is merged once and cut to the ranks the medians can need (a window adds
``k * k - m`` pixels to a shared block of ``m``, so its median is among the block's ranks
``k*k//2 - (k*k - m) .. k*k//2``); the tile then splits in halves, each half merges the rows its windows share in
addition, down to one window, which selects rank ``k*k//2``. Only the comparators the medians depend on are kept.
Min/max nodes per output pixel (nodes / s, rounded; the untiled column network this replaced had 26, 130, 306,
628, 1094, 1532 and 2290 at k = 3 .. 15):

    k      3     5     7     9     11    13    15
    s = 1  22    88    290   398   826   1356  2242
    s = 2  17    57    149   231   417   614   1082
    s = 4  -     57    124   226   299   484   633
    s = 8  -     -     -     226   299   470   548

``TILE`` keeps the fastest measured per ``k`` (uint8, 1 thread, 256 and 1024 px, batch 2 x RGB): s = 2 at k = 3,
5, 9 and s = 4 at 7, 11, 13, 15 (s = 8 has fewer nodes at 13 and 15 but was slower: more, smaller passes). At
k = 5 the tiles take 0.80 / 14.9 ms per image at 256 / 1024 px against 1.23 / 22.2 untiled and 2.35 / 31.7 for
the column network they replaced (k = 15: 16 / 249 against 58 / 902); k = 3 (0.29 / 5.4) replaced the
sorted-column 3x3 special case (0.27 / 9.5). Each node is one pass over the flattened chunk (a shift is an
offset), the chunks are rows of tiles (bounded memory); gradients flow to the selected pixel (the min/max
subgradient).
"""

from __future__ import annotations

import functools

import torch

__all__ = ["TILE", "median_program", "run_median"]

_LO, _HI = -1, -2  # sentinel nodes: -inf and +inf

TILE = {3: 2, 5: 2, 7: 4, 9: 2, 11: 4, 13: 4, 15: 4}  # rows per tile (the fastest measured); other k: 4


class _Builder:
    def __init__(self, n_in: int) -> None:
        self.n_in = n_in  # nodes 0 .. n_in - 1 are the inputs (the row phases)
        self.nodes: list[tuple[bool, tuple, tuple]] = []  # (is_max, ref_a, ref_b), refs relative to the node
        self.ext: list[tuple[int, int]] = []  # tile rows/cols past the corner each node reads
        self.index: dict[tuple, int] = {}

    def op(self, is_max: bool, a: tuple, b: tuple) -> tuple:
        if a[0] == _LO or b[0] == _LO:
            return b if (a[0] == _LO) == is_max else a
        if a[0] == _HI or b[0] == _HI:
            return a if (a[0] == _HI) == is_max else b
        if a == b:
            return a
        dy, dx = min(a[1], b[1]), min(a[2], b[2])
        ra, rb = sorted(((a[0], a[1] - dy, a[2] - dx), (b[0], b[1] - dy, b[2] - dx)))
        key = (is_max, ra, rb)
        n = self.index.get(key)
        if n is None:
            n = len(self.nodes) + self.n_in
            self.nodes.append(key)
            self.ext.append(tuple(max(self._ext(r)[i] + r[1 + i] for r in (ra, rb)) for i in (0, 1)))
            self.index[key] = n
        return (n, dy, dx)

    def _ext(self, r: tuple) -> tuple[int, int]:
        return (0, 0) if r[0] < self.n_in else self.ext[r[0] - self.n_in]

    def minmax(self, a: tuple, b: tuple) -> tuple[tuple, tuple]:
        return self.op(False, a, b), self.op(True, a, b)

    def merge(self, a: list, b: list) -> list:
        """Batcher's odd-even merge of two ascending lists of one power-of-two length."""
        if len(a) == 1:
            return list(self.minmax(a[0], b[0]))
        even, odd = self.merge(a[0::2], b[0::2]), self.merge(a[1::2], b[1::2])
        out = [even[0]]
        for i in range(len(odd) - 1):
            out += self.minmax(odd[i], even[i + 1])
        return [*out, odd[-1]]

    def merge_any(self, a: list, b: list) -> list:
        if not a or not b:
            return a + b
        n = 1
        while n < max(len(a), len(b)):
            n *= 2
        hi = (_HI, 0, 0)
        out = self.merge(a + [hi] * (n - len(a)), b + [hi] * (n - len(b)))
        return out[: len(a) + len(b)]

    def merge_ranks(self, a: list, b: list, lo: int, hi: int) -> list:
        """Ranks ``lo .. hi`` of the merge of the ascending lists ``a`` and ``b``. Inputs that cannot reach those
        ranks are cut first: ``a[i]`` lands at a rank in ``i .. i + len(b)``."""
        a_lo, b_lo = max(0, lo - len(b)), max(0, lo - len(a))
        off = lo - a_lo - b_lo
        merged = self.merge_any(a[a_lo : hi + 1], b[b_lo : hi + 1])
        return merged[off : off + hi - lo + 1]

    def sort(self, v: list) -> list:
        if len(v) <= 1:
            return v
        h = len(v) // 2
        return self.merge_any(self.sort(v[:h]), self.sort(v[h:]))

    def block(self, rows: list[int], k: int, s: int, lo: int, hi: int) -> list:
        """Ranks ``lo .. hi`` of the ``len(rows) x k`` block of padded rows ``rows`` (relative to the tile's first
        row): each row sorted, the rows merged pairwise in a tree."""
        lists = [self.sort([(r % s, r // s, j) for j in range(k)]) for r in rows]
        while len(lists) > 2:
            nxt = [self.merge_any(lists[i], lists[i + 1]) for i in range(0, len(lists) - 1, 2)]
            lists = nxt + ([lists[-1]] if len(lists) % 2 else [])
        if len(lists) == 1:
            return lists[0][lo : hi + 1]
        return self.merge_ranks(lists[0], lists[1], lo, hi)


@functools.cache
def median_program(k: int, s: int = 1) -> tuple[tuple, tuple, tuple]:
    """The pruned network of the ``k x k`` median on tiles of ``s`` rows (``1 <= s < k``): ``(nodes, extents,
    outs)``. Node ``s + i`` is ``min``/``max`` (``is_max``) of two references ``(node, dy, dx)`` (nodes
    ``0 .. s - 1``: the row phases); ``outs[q]`` is the reference of the median of the tile's output row ``q``."""
    if not 1 <= s < k:
        raise ValueError(f"tile rows must be in 1 .. k - 1, got s={s} for k={k}")
    b = _Builder(s)
    kk, med = k * k, k * k // 2
    outs: list[tuple] = []

    def build(first: int, end: int, shared: list | None, shared_lo: int, shared_rows: range) -> None:
        # Output rows first .. end - 1 of the tile share padded rows end - 1 .. first + k - 1.
        rows = range(end - 1, first + k)
        extra = [r for r in rows if r not in shared_rows]
        lo, hi = max(0, med - (kk - len(rows) * k)), med
        if shared is None:
            lst = b.block(extra, k, s, lo, hi)
        else:
            lst = b.merge_ranks(shared, b.block(extra, k, s, 0, len(extra) * k - 1), lo - shared_lo, hi - shared_lo)
        if end - first == 1:
            outs.append(lst[0])
            return
        mid = (first + end) // 2
        build(first, mid, lst, lo, rows)
        build(mid, end, lst, lo, rows)

    build(0, s, None, 0, range(0))
    # Keep what the medians depend on, renumbered in creation (topological) order.
    live, todo = set(), [o[0] for o in outs]
    while todo:
        n = todo.pop()
        if n >= s and n not in live:
            live.add(n)
            todo += [r[0] for r in b.nodes[n - s][1:]]
    keep = sorted(live)
    new = {**{p: p for p in range(s)}, **{n: i + s for i, n in enumerate(keep)}}
    nodes = tuple((b.nodes[n - s][0], *((new[r[0]], r[1], r[2]) for r in b.nodes[n - s][1:])) for n in keep)
    ext = tuple(b.ext[n - s] for n in keep)
    return nodes, ext, tuple((new[o[0]], o[1], o[2]) for o in outs)


@functools.cache
def _plan(k: int, s: int, wp: int) -> tuple[tuple, tuple, tuple]:
    """The program on flat chunks with rows of ``wp`` pixels: a shift ``(dy, dx)`` is the offset ``dy * wp + dx``.
    Returns ``(steps, drop, outs)``: step ``i`` is ``(is_max, a, offset_a, b, offset_b, cut)`` (node ``s + i`` is
    ``cut`` shorter than the chunk), ``drop[i]``: the nodes no later step reads, ``outs``: ``(node, offset)``."""
    nodes, ext, outs = median_program(k, s)
    steps = tuple((m, a[0], a[1] * wp + a[2], b[0], b[1] * wp + b[2], e[0] * wp + e[1]) for (m, a, b), e in
                  zip(nodes, ext, strict=True))
    last: dict[int, int] = {}
    for i, (_, a, b) in enumerate(nodes):
        last[a[0]] = last[b[0]] = i
    for o in outs:
        last[o[0]] = len(nodes)
    drop = [[] for _ in nodes]
    for n, i in last.items():
        if n >= s and i < len(nodes):
            drop[i].append(n)
    return steps, tuple(tuple(d) for d in drop), tuple((o[0], o[1] * wp + o[2]) for o in outs)


def _eval(phases: list[torch.Tensor], k: int, s: int, t: int, w: int) -> list[torch.Tensor]:
    """Output row ``q`` of ``t`` tiles (..., t, w), for each ``q < s``; ``phases[p]`` (..., t + ceil((k - 1) / s),
    w + k - 1) holds the padded rows ``s * i + p``. Each node is one pass over the flattened chunk (a shift is an
    offset; what a shift wraps into is past column ``w`` or row ``t`` of an image, and is never read back)."""
    lead, (hp, wp) = phases[0].shape[:-2], phases[0].shape[-2:]
    steps, drop, outs = _plan(k, s, wp)
    n = phases[0].numel()
    vals: list[torch.Tensor | None] = [q.reshape(-1) for q in phases]
    for (is_max, a, oa, b, ob, cut), gone in zip(steps, drop, strict=True):
        size = n - cut
        op = torch.maximum if is_max else torch.minimum
        vals.append(op(vals[a].narrow(0, oa, size), vals[b].narrow(0, ob, size)))
        for r in gone:
            vals[r] = None
    stride = (hp * wp, wp, 1)
    return [vals[o].as_strided((lead.numel(), t, w), stride, vals[o].storage_offset() + off).view(*lead, t, w)
            for o, off in outs]


def run_median(xp: torch.Tensor, k: int, chunk_bytes: int = 1 << 18, tile: int | None = None) -> torch.Tensor:
    """Median of every ``k x k`` window of the padded ``xp`` (B, C, H + k - 1, W + k - 1), on tiles of ``tile``
    output rows (default ``TILE[k]``), in chunks of rows of tiles whose nodes hold about ``chunk_bytes`` each
    (``tile`` times that of output; each node is one pass over a chunk: chunks that stay in cache beat whole images;
    256 KiB was the fastest measured for float32 and uint8, untiled and tiled)."""
    s = tile if tile is not None else TILE.get(k, 4)
    s = max(1, min(s, k - 1))
    hp, wp = xp.shape[-2:]
    h, w = hp - k + 1, wp - k + 1
    tiles = -(-h // s)
    reach = -(-(k - 1) // s)  # tile rows a tile reads past its own
    need = s * (tiles + reach)  # padded rows the lattice reads: H + k - 1 rounded up to whole tiles
    if need > hp:  # rows only the outputs past H read (cut below): any value, no gradient
        xp = torch.cat([xp, xp[..., -1:, :].expand(*xp.shape[:-2], need - hp, wp)], -2)
    lead = xp.shape[:-2]
    lattice = xp.reshape(*lead, tiles + reach, s, wp)
    per_tile = max(1, lead.numel() * w * xp.element_size())  # bytes of one tile row of a node
    rows = max(1, min(tiles, chunk_bytes // per_tile))
    parts = []
    for y in range(0, tiles, rows):
        t = min(tiles, y + rows) - y
        outs = _eval([lattice[..., y : y + t + reach, p, :] for p in range(s)], k, s, t, w)
        parts.append(torch.stack(outs, -2).reshape(*lead, t * s, w))
    out = parts[0] if len(parts) == 1 else torch.cat(parts, -2)
    return out[..., :h, :]
