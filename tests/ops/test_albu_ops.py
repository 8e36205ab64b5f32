"""The ``Albu*`` family: every op is registered (so the contract runs on it), names its Albumentations transform,
documents its arguments with a runnable example; the kernels moved down from the ops work on their own."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest
import torch
from kornia_diffaug.adapters.albumentations import TABLE, UnsupportedTransformError, to_albumentations

import kornia_diffaug.functional.albu as FA
from kornia_diffaug.ops import albu, get_op_spec, list_ops

ALBU_OPS = sorted(n for n in albu.__all__ if n.startswith("Albu"))
ONE_X_ONLY = {"Flip", "IAAPiecewiseAffine"}
# Ops with no 2.0.8 counterpart (2.0.8's transform of that name computes something else): export refuses them.
NOT_EXPORTED = {"AlbuPiecewiseAffineMesh": "scikit-image's triangulated mesh"}


def test_every_albu_op_is_registered():
    assert len(ALBU_OPS) == 59
    assert [n for n in ALBU_OPS if n not in list_ops()] == []
    assert all(get_op_spec(n).cls is getattr(albu, n) for n in ALBU_OPS)


@pytest.mark.parametrize("name", ALBU_OPS)
def test_albu_name_is_a_mapped_albumentations_transform(name):
    cls = getattr(albu, name)
    assert isinstance(cls.__dict__.get("albu_name"), str), "albu_name must be set on the class itself"
    assert cls.albu_name in TABLE
    assert TABLE[cls.albu_name].kornia.partition(" (")[0] == name
    A = pytest.importorskip("albumentations")
    if cls.albu_name in ONE_X_ONLY:  # removed in 2.x: the row says so
        assert not hasattr(A, cls.albu_name) and "not in Albumentations 2.0.8" in TABLE[cls.albu_name].parity["note"]
    else:
        assert hasattr(A, cls.albu_name)


def test_albu_names_are_unique():
    names = [getattr(albu, n).albu_name for n in ALBU_OPS]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", ALBU_OPS)
def test_export_uses_albu_name(name):
    spec = get_op_spec(name)
    op = spec.cls(**spec.example)
    if name in NOT_EXPORTED:
        with pytest.raises(UnsupportedTransformError, match=rf"transforms\[0\]: {name} .*{NOT_EXPORTED[name]}"):
            to_albumentations(torch.nn.Sequential(op))
        return
    out = to_albumentations(torch.nn.Sequential(op))["transform"]["transforms"][0]
    expected = "CenterCrop" if name == "AlbuCrop" and op.config().get("center") else op.albu_name
    assert out["__class_fullname__"] == expected


@pytest.mark.parametrize("name", ALBU_OPS)
def test_docstring_has_args_and_a_running_example(name):
    cls = getattr(albu, name)
    doc = cls.__doc__ or ""
    assert "\n    Args:\n" in doc and "\n    Example:\n" in doc, f"{name} needs Args: and Example: sections"
    assert cls.albu_name in doc.splitlines()[0], "the first line names the Albumentations transform"
    tests = doctest.DocTestFinder().find(cls, name, globs={"torch": torch, name: cls})
    examples = [t for t in tests if t.name == name and t.examples]
    assert examples
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in examples:
        runner.run(t)
    assert runner.tries >= 2 and runner.failures == 0


def _modules(package) -> list:
    return [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]


@pytest.mark.parametrize("package", [FA, albu], ids=["functional.albu", "ops.albu"])
def test_all_lists_exactly_the_public_names(package):
    every, of_public_modules = set(), set()
    for mod in _modules(package):
        tree = ast.parse(Path(mod.__file__).read_text())
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        public = {n for n in defined if not n.startswith("_")}
        assert set(mod.__all__) == public, mod.__name__
        every |= public
        if not mod.__name__.rpartition(".")[2].startswith("_"):
            of_public_modules |= public
    assert of_public_modules <= set(package.__all__) <= every
    assert all(hasattr(package, n) for n in package.__all__)


# ----------------------------------------------------------------------------- kernels moved down from the ops
def test_matrices_of_zero_parameters_are_the_identity():
    eye = torch.eye(3, dtype=torch.float64).expand(2, 3, 3)
    # SafeRotate re-centres on new_size / 2 where the centre is size / 2 - 0.5: Albumentations 2.0.8 shifts
    # by half a pixel even at angle 0 (cv2.getRotationMatrix2D + (new_w / 2 - cx)); ours does the same.
    half = eye.clone()
    half[:, :2, 2] = 0.5
    torch.testing.assert_close(FA.safe_rotate_matrix(torch.zeros(2), (7, 9)), half)
    torch.testing.assert_close(FA.perspective_matrix(torch.randn(2, 4, 2), torch.zeros(2), (7, 9)), eye)
    torch.testing.assert_close(FA.rotate90_matrix(torch.tensor([0, 0]), (5, 5)), eye)


def test_rotate90_and_transpose_matrices_move_pixel_centres_like_the_arrays():
    x = torch.arange(20.0).view(1, 1, 4, 5)
    ys, xs = torch.meshgrid(torch.arange(4.0), torch.arange(5.0), indexing="ij")
    pts = torch.stack([xs.flatten(), ys.flatten(), torch.ones(20)], 0).double()
    t = FA.transpose_matrix(1, torch.device("cpu"))[0] @ pts
    assert torch.equal(x.transpose(-1, -2)[0, 0][t[1].long(), t[0].long()], x[0, 0].flatten())
    sq = torch.arange(16.0).view(4, 4)
    ys, xs = torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij")
    pts = torch.stack([xs.flatten(), ys.flatten(), torch.ones(16)], 0).double()
    for k in range(4):
        r = FA.rotate90_matrix(torch.tensor([k]), (4, 4))[0] @ pts
        assert torch.equal(torch.rot90(sq, k)[r[1].long(), r[0].long()], sq.flatten())


def test_invert_map_solves_the_elastic_map_at_the_points():
    field = torch.randn(2, 2, 24, 20, generator=torch.Generator().manual_seed(0))
    m = FA.elastic_map(field, sigma=4.0, alpha=3.0)
    p = torch.tensor([[[5.0, 7.0], [12.5, 9.0]], [[10.0, 10.0], [3.0, 18.0]]])
    q = FA.invert_map(m, p)
    grid = torch.stack([(2 * q[..., 0] + 1) / 20 - 1, (2 * q[..., 1] + 1) / 24 - 1], -1).unsqueeze(1)
    back = torch.nn.functional.grid_sample(m, grid, align_corners=False, padding_mode="border")[:, :, 0]
    torch.testing.assert_close(back.transpose(1, 2), p.double(), atol=1e-3, rtol=0)


def test_counter_noise_of_a_sample_depends_only_on_its_seed():
    seeds = torch.tensor([3, 2**40 + 7, 11])
    for kind in ("uniform", "normal"):
        batch = FA.counter_noise(seeds, (3, 2, 4, 5), kind, torch.float32, torch.device("cpu"))
        one = FA.counter_noise(seeds[1:2], (1, 2, 4, 5), kind, torch.float32, torch.device("cpu"))
        assert torch.equal(batch[1:2], one)
    u = FA.counter_noise(seeds, (3, 1000), "uniform", torch.float64, torch.device("cpu"))
    assert 0 < float(u.min()) and float(u.max()) < 1


def _lowbias32(k: int) -> int:
    """The unsigned 32-bit rule, in Python integers (the reference for the int32 kernel)."""
    k &= 0xFFFFFFFF
    k = ((k ^ (k >> 16)) * 0x7FEB352D) & 0xFFFFFFFF
    k = ((k ^ (k >> 15)) * 0x846CA68B) & 0xFFFFFFFF
    return k ^ (k >> 16)


def test_hash32_is_the_unsigned_lowbias32_rule():
    # The kernel works in int32 (wrapping products, masked shifts): every sign and wrap case against Python's ints.
    ks = [0, 1, 2, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**33 + 17, -1, -2**31,
          0x9E3779B1, 123456789, *range(1000, 1200)]
    got = FA.hash32(torch.tensor(ks, dtype=torch.int64)).tolist()
    assert got == [_lowbias32(k) for k in ks]
    # counter_noise's element j of sample i hashes j + (seed_i & (2^31 - 1)) * 0x9E3779B1, mod 2^32:
    seed, n = 2**31 - 1, 64
    u = FA.counter_noise(torch.tensor([seed]), (1, n), "uniform", torch.float64, torch.device("cpu"))
    want = [(_lowbias32(j + seed * 0x9E3779B1) + 0.5) / 2**32 for j in range(n)]
    assert u.view(-1).tolist() == want


@pytest.mark.parametrize("n", [7, 64])
def test_counter_noise_normal_is_box_muller_of_each_hash_both_outputs(n):
    # Element j < m = ceil(n / 2) is r cos t of hash j, element m + j its r sin t, in float64.
    import math

    seed = 12345
    z = FA.counter_noise(torch.tensor([seed]), (1, n), "normal", torch.float64, torch.device("cpu")).view(-1)
    m = (n + 1) // 2
    want = [0.0] * (2 * m)
    for j in range(m):
        k = _lowbias32(j + seed * 0x9E3779B1)
        r = math.sqrt(-2 * math.log(((k >> 16) + 0.5) / 65536))
        t = 2 * math.pi * ((k & 0xFFFF) + 0.5) / 65536
        want[j], want[m + j] = r * math.cos(t), r * math.sin(t)
    torch.testing.assert_close(z, torch.tensor(want[:n], dtype=torch.float64), rtol=1e-12, atol=1e-12)


def test_counter_noise_normal_is_standard_and_its_halves_uncorrelated():
    z = FA.counter_noise(torch.tensor([5, 6]), (2, 3, 128, 128), "normal", torch.float32, torch.device("cpu"))
    flat = z.double().view(2, -1)
    assert abs(float(flat.mean())) < 0.01 and abs(float(flat.std()) - 1) < 0.01
    m = flat.shape[1] // 2
    corr = torch.corrcoef(torch.stack([flat[0, :m], flat[0, m:]]))[0, 1]
    assert abs(float(corr)) < 0.01
    assert abs(float((flat[0] ** 4).mean()) - 3) < 0.1  # a normal's fourth moment


def test_resized_crop_box_fits_the_image_and_falls_back_to_a_centre_crop():
    g = torch.Generator().manual_seed(0)
    u = [torch.rand(64, 10, generator=g), torch.rand(64, 10, generator=g), torch.rand(64, 2, generator=g)]
    box = FA.resized_crop_box(*u, (30, 40), (0.08, 1.0), (0.75, 4 / 3))
    assert (box[:, :2] >= 0).all() and (box[:, 2] <= 40).all() and (box[:, 3] <= 30).all()
    assert ((box[:, 2:] - box[:, :2]) > 0).all()
    # Nothing fits a 1:10 image at ratio 1: the fallback is the centre square.
    box = FA.resized_crop_box(*u, (3, 30), (0.9, 1.0), (1.0, 1.0))
    assert box.tolist() == [[13.0, 0.0, 16.0, 3.0]] * 64


def test_piecewise_affine_keypoints_solve_its_map():
    import torch.nn.functional as F

    from kornia_diffaug.ops.albu import AlbuPiecewiseAffine

    op = AlbuPiecewiseAffine(scale=(0.02, 0.05), generator=torch.Generator().manual_seed(0))
    x = torch.rand(3, 1, 40, 48, dtype=torch.float64)
    pts = torch.rand(3, 12, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 16 + 12
    import kornia.augmentation as K

    seq = K.AugmentationSequential(op, data_keys=["input", "keypoints"])
    _, q = seq(x, pts)
    m = op._map(seq._params[0].data, (40, 48))
    grid = torch.stack([(2 * q[..., 0] + 1) / 48 - 1, (2 * q[..., 1] + 1) / 40 - 1], -1).unsqueeze(1)
    at = F.grid_sample(m, grid, align_corners=False, padding_mode="border")[:, :, 0].transpose(1, 2)
    torch.testing.assert_close(at, pts, atol=1e-4, rtol=0)  # the source of each moved keypoint is the keypoint


def test_piecewise_affine_mesh_keypoints_land_on_their_marked_pixel():
    """1.x's rule with nearest taps: a keypoint on a marked pixel comes out on the first (row-major) output pixel
    that shows it, whenever the warp keeps the pixel; a batch of grid sizes (padded grids) in one call."""
    import kornia.augmentation as K

    from kornia_diffaug.ops.albu import AlbuPiecewiseAffineMesh

    b, h, w = 16, 24, 30
    g = torch.Generator().manual_seed(0)
    xs, ys = torch.randint(0, w, (b,), generator=g), torch.randint(0, h, (b,), generator=g)
    img = torch.zeros(b, 1, h, w, dtype=torch.float64)
    img[torch.arange(b), 0, ys, xs] = 1.0
    op = AlbuPiecewiseAffineMesh(scale=(0.02, 0.06), nb_rows=(2, 5), nb_cols=(2, 6), order=0, generator=g)
    out, kp = K.AugmentationSequential(op, data_keys=["input", "keypoints"])(img, torch.stack([xs, ys], -1)
                                                                            .double().view(b, 1, 2))
    assert len(set(op._params["rows"].tolist())) > 1 and len(set(op._params["cols"].tolist())) > 1
    kept = 0
    for i in range(b):
        hit = torch.nonzero(out[i, 0].flatten() > 0.5)
        if len(hit):
            kept += 1
            first = int(hit[0])
            assert kp[i, 0].tolist() == [first % w, first // w]
    assert kept >= b // 2  # nearest taps drop the pixels that a squeezed triangle skips


def test_piecewise_affine_mesh_diagonals_are_scipys_delaunay():
    """The cell diagonals read from scipy's triangulation rebuild its triangles (non-square grids, sizes)."""
    Delaunay = pytest.importorskip("scipy.spatial").Delaunay
    np = pytest.importorskip("numpy")
    for rows, cols, size in ((4, 4, (20, 28)), (3, 7, (31, 17)), (6, 2, (64, 48)), (5, 5, (1, 9))):
        diag = FA.mesh_diagonals(rows, cols, size)
        xx, yy = np.meshgrid(np.linspace(0, size[1], cols), np.linspace(0, size[0], rows))
        ref = {frozenset(t) for t in Delaunay(np.stack([xx.ravel(), yy.ravel()], 1)).simplices.tolist()}
        ours = set()
        for i in range(rows - 1):
            for j in range(cols - 1):
                a, b, c, d = i * cols + j, i * cols + j + 1, (i + 1) * cols + j, (i + 1) * cols + j + 1
                ours |= {frozenset((a, b, d)), frozenset((a, c, d))} if diag[i][j] else \
                    {frozenset((a, b, c)), frozenset((d, b, c))}
        assert ours == ref, (rows, cols, size)


def test_piecewise_affine_mesh_map_is_the_affine_of_each_triangle():
    """Barycentric blend = the triangle's affine: corners map to their moved points, edges are shared (the map
    is continuous), and unmoved points are the identity."""
    rows, cols, h, w = torch.tensor([3, 4]), torch.tensor([4, 2]), 18, 22
    g = torch.Generator().manual_seed(2)
    diag = torch.zeros(2, 3, 3, dtype=torch.bool)
    diag[0, :2, :3] = torch.tensor(FA.mesh_diagonals(3, 4, (h, w)))
    diag[1, :3, :1] = torch.tensor(FA.mesh_diagonals(4, 2, (h, w)))
    grid = torch.zeros(2, 16, 2, dtype=torch.float64)
    for b in range(2):
        for i in range(int(rows[b])):
            for j in range(int(cols[b])):
                grid[b, i * 4 + j] = torch.tensor([j * w / (int(cols[b]) - 1), i * h / (int(rows[b]) - 1)],
                                                  dtype=torch.float64)
    ident = FA.piecewise_affine_mesh_map(grid, rows, cols, diag, (h, w))
    v, u = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    torch.testing.assert_close(ident, torch.stack([u, v]).expand(2, 2, h, w), atol=1e-12, rtol=0)
    moved = grid + torch.randn(2, 16, 2, generator=g, dtype=torch.float64)
    m = FA.piecewise_affine_mesh_map(moved, rows, cols, diag, (h, w))
    # a pixel on a grid point (x = 0, y = 0 and, for 3 rows on 18 px, y = 9) reads its moved point exactly
    torch.testing.assert_close(m[0, :, 9, 0], moved[0, 4], atol=1e-12, rtol=0)
    torch.testing.assert_close(m[1, :, 0, 0], moved[1, 0], atol=1e-12, rtol=0)
    jump = (m[..., 1:] - m[..., :-1]).abs().amax()  # piecewise affine and continuous: no jump between pixels
    assert jump < 3.0
