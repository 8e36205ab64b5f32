"""The exact ``k x k`` median as a separable min/max network (after Adams, "Fast median filters using separable
sorting networks", 2021): each column of ``k`` pixels is sorted once and shared by the ``k`` windows that hold it,
sorted columns are merged pairwise in a tree whose blocks are shared by the windows they fit, and only the
comparators the median depends on are kept.

The network is built once per ``k`` symbolically, with each value a reference ``(node, dy, dx)``: node ``node``
read at the window's corner shifted by ``(dy, dx)``. Two values computed the same way at different shifts are one
node (hash-consed), so a node is one whole-image ``torch.minimum``/``torch.maximum``, evaluated on the padded
image's row chunks (bounded memory). Gradients flow to the selected pixel (the min/max subgradient).
"""

from __future__ import annotations

import functools

import torch

__all__ = ["median_program", "run_median"]

_LO, _HI = -1, -2  # sentinel nodes: -inf and +inf


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[tuple[bool, tuple, tuple]] = []  # (is_max, ref_a, ref_b), refs relative to the node
        self.ext: list[tuple[int, int]] = []  # rows/cols past the corner each node reads
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
            n = len(self.nodes) + 1  # node 0 is the input
            self.nodes.append(key)
            self.ext.append(tuple(max(self._ext(r)[i] + r[1 + i] for r in (ra, rb)) for i in (0, 1)))
            self.index[key] = n
        return (n, dy, dx)

    def _ext(self, r: tuple) -> tuple[int, int]:
        return (0, 0) if r[0] == 0 else self.ext[r[0] - 1]

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
        n = 1
        while n < max(len(a), len(b)):
            n *= 2
        hi = (_HI, 0, 0)
        out = self.merge(a + [hi] * (n - len(a)), b + [hi] * (n - len(b)))
        return out[: len(a) + len(b)]

    def sort(self, v: list) -> list:
        if len(v) <= 1:
            return v
        h = len(v) // 2
        return self.merge_any(self.sort(v[:h]), self.sort(v[h:]))


@functools.cache
def median_program(k: int) -> tuple[tuple[tuple[bool, tuple, tuple], ...], tuple[tuple[int, int], ...], tuple]:
    """The pruned network of the ``k x k`` median: ``(nodes, extents, out)``. Node ``i + 1`` is
    ``min``/``max`` (``is_max``) of two references ``(node, dy, dx)`` (node 0: the padded input); ``out`` is the
    median's reference."""
    b = _Builder()
    cols = [b.sort([(0, i, j) for i in range(k)]) for j in range(k)]
    blocks = [(j, c) for j, c in enumerate(cols)]
    while len(blocks) > 1:  # merge neighbours: block (2i, 2i+1) of every window is one shared node
        nxt = [(blocks[i][0], b.merge_any(blocks[i][1], blocks[i + 1][1])) for i in range(0, len(blocks) - 1, 2)]
        blocks = nxt + ([blocks[-1]] if len(blocks) % 2 else [])
    out = blocks[0][1][k * k // 2]
    # Keep what the median depends on, renumbered in creation (topological) order.
    live, todo = set(), [out[0]]
    while todo:
        n = todo.pop()
        if n > 0 and n not in live:
            live.add(n)
            todo += [r[0] for r in b.nodes[n - 1][1:]]
    keep = sorted(live)
    new = {0: 0, **{n: i + 1 for i, n in enumerate(keep)}}
    nodes = tuple((b.nodes[n - 1][0], *((new[r[0]], r[1], r[2]) for r in b.nodes[n - 1][1:])) for n in keep)
    ext = tuple(b.ext[n - 1] for n in keep)
    return nodes, ext, (new[out[0]], out[1], out[2])


def _eval(xp: torch.Tensor, k: int, h: int, w: int) -> torch.Tensor:
    """Median of every ``k x k`` window of ``xp`` (..., h + k - 1, w + k - 1)."""
    nodes, ext, out = median_program(k)
    hp, wp = xp.shape[-2:]
    last = {}
    for i, (_, a, b) in enumerate(nodes):
        last[a[0]] = last[b[0]] = i + 1
    last[out[0]] = len(nodes) + 1
    vals: dict[int, torch.Tensor] = {0: xp}
    sizes = {0: (hp, wp)}
    for i, (is_max, a, b) in enumerate(nodes, start=1):
        ey, ex = ext[i - 1]
        nh, nw = hp - ey, wp - ex
        va = vals[a[0]][..., a[1] : a[1] + nh, a[2] : a[2] + nw]
        vb = vals[b[0]][..., b[1] : b[1] + nh, b[2] : b[2] + nw]
        vals[i] = torch.maximum(va, vb) if is_max else torch.minimum(va, vb)
        sizes[i] = (nh, nw)
        for r in (a[0], b[0]):
            if last.get(r) == i and r != 0:
                vals.pop(r, None)
    return vals[out[0]][..., out[1] : out[1] + h, out[2] : out[2] + w]


def run_median(xp: torch.Tensor, k: int, chunk_bytes: int = 1 << 18) -> torch.Tensor:
    """Median of every ``k x k`` window of the padded ``xp`` (B, C, H + k - 1, W + k - 1), in row chunks of about
    ``chunk_bytes`` of output (each node is one pass over a chunk: chunks that stay in cache beat whole images,
    2-2.5x at 256 px; 256 KiB was the fastest measured for float32 and uint8)."""
    hp, wp = xp.shape[-2:]
    h, w = hp - k + 1, wp - k + 1
    chunk = max(1, chunk_bytes // xp.element_size())
    per_row = max(1, xp.shape[0] * xp.shape[1] * w)
    rows = max(1, min(h, chunk // per_row))
    if rows >= h:
        return _eval(xp, k, h, w)
    parts = [_eval(xp[..., y : min(h, y + rows) + k - 1, :], k, min(h, y + rows) - y, w) for y in range(0, h, rows)]
    return torch.cat(parts, -2)
