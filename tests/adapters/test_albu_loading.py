"""Loading Albumentations configs: formats, 1.x configs, strictness, safety, data keys, export round trip."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from kornia.augmentation import AugmentationSequential
from kornia_diffaug.adapters.albumentations import (
    TABLE,
    UnsupportedTransformError,
    conversion_report,
    from_albumentations,
    supported_transforms,
    to_albumentations,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "examples" / "configs"


def _compose(*transforms, **extra):
    return {"__version__": "2.0.8", "transform": {"__class_fullname__": "Compose", "p": 1.0,
                                                  "transforms": list(transforms), **extra}}


def _t(name, **params):
    return {"__class_fullname__": name, **params}


def test_table_maps_at_least_40_transforms():
    assert len(TABLE) >= 40
    assert {"Compose", "OneOf", "SomeOf", "Sequential", "HorizontalFlip", "Affine"} <= set(supported_transforms())


@pytest.mark.parametrize("name", ["simclr", "simclr_digits", "classification"])
def test_example_configs_load_and_run(name):
    pipe = from_albumentations(CONFIGS / f"{name}.json", generator=torch.Generator().manual_seed(0))
    assert isinstance(pipe, AugmentationSequential)
    x = torch.rand(3, 3, 40, 40, requires_grad=True)
    y = pipe(x)
    assert y.shape[0] == 3 and torch.isfinite(y).all()
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_dict_json_string_json_file_and_yaml_file_agree(tmp_path):
    cfg = _compose(_t("HorizontalFlip", p=1.0), _t("RandomGamma", p=1.0, gamma_limit=[50, 50]))
    (tmp_path / "c.json").write_text(json.dumps(cfg))
    yaml = pytest.importorskip("yaml")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "c.yml").write_text(yaml.safe_dump(cfg["transform"]))
    x = torch.rand(2, 3, 8, 8)
    outs = [from_albumentations(c)(x) for c in (cfg, cfg["transform"], json.dumps(cfg), tmp_path / "c.json",
                                                 str(tmp_path / "c.yaml"), tmp_path / "c.yml")]
    for o in outs[1:]:
        torch.testing.assert_close(o, outs[0])
    torch.testing.assert_close(outs[0], x.flip(-1) ** 0.5)


def test_albumentations_compose_object_is_accepted():
    A = pytest.importorskip("albumentations")
    c = A.Compose([A.VerticalFlip(p=1.0)])
    x = torch.rand(1, 3, 5, 6)
    torch.testing.assert_close(from_albumentations(c)(x), x.flip(-2))


def test_albumentations_saved_files_load(tmp_path):
    A = pytest.importorskip("albumentations")
    c = A.Compose([A.Affine(rotate=(-10, 10), p=0.5), A.OneOf([A.Blur(), A.MedianBlur()], p=0.3)])
    A.save(c, str(tmp_path / "a.json"), data_format="json")
    A.save(c, str(tmp_path / "a.yaml"), data_format="yaml")
    for f in ("a.json", "a.yaml"):
        pipe = from_albumentations(tmp_path / f)
        assert pipe(torch.rand(2, 3, 16, 16)).shape == (2, 3, 16, 16)


ONE_X = {
    "__version__": "1.3.1",
    "transform": {
        "__class_fullname__": "albumentations.core.composition.Compose",
        "p": 1.0,
        "transforms": [
            {"__class_fullname__": "albumentations.augmentations.geometric.transforms.HorizontalFlip",
             "always_apply": False, "p": 0.5},
            {"__class_fullname__": "albumentations.augmentations.geometric.transforms.ShiftScaleRotate",
             "always_apply": False, "p": 0.5, "shift_limit_x": [-0.0625, 0.0625], "shift_limit_y": [-0.0625, 0.0625],
             "scale_limit": [-0.1, 0.1], "rotate_limit": [-45, 45], "interpolation": 1, "border_mode": 4,
             "value": None, "mask_value": None, "rotate_method": "largest_box"},
            {"__class_fullname__": "albumentations.augmentations.dropout.coarse_dropout.CoarseDropout",
             "always_apply": False, "p": 0.5, "max_holes": 8, "max_height": 8, "max_width": 8, "min_holes": 2,
             "min_height": 4, "min_width": 4, "fill_value": 0, "mask_fill_value": None},
            {"__class_fullname__": "albumentations.augmentations.transforms.GaussNoise", "always_apply": False,
             "p": 0.5, "var_limit": [10.0, 50.0], "per_channel": True, "mean": 0},
            {"__class_fullname__": "albumentations.augmentations.crops.transforms.RandomResizedCrop",
             "always_apply": True, "p": 1.0, "height": 32, "width": 24, "scale": [0.08, 1.0],
             "ratio": [0.75, 1.3333333333333333], "interpolation": 1},
            {"__class_fullname__": "albumentations.augmentations.dropout.cutout.Cutout", "always_apply": False,
             "p": 0.5, "num_holes": 4, "max_h_size": 3, "max_w_size": 5, "fill_value": 0},
            {"__class_fullname__": "albumentations.augmentations.transforms.Downscale", "always_apply": False,
             "p": 0.5, "scale_min": 0.5, "scale_max": 0.75, "interpolation": 0},
            {"__class_fullname__": "RandomBrightness", "p": 0.5, "limit": [-0.2, 0.2]},
            {"__class_fullname__": "Solarize", "always_apply": True, "threshold": 200},
        ],
        "bbox_params": None, "keypoint_params": None, "additional_targets": {},
    },
}


def test_albumentations_1x_config_loads_with_renamed_parameters():
    pipe = from_albumentations(ONE_X)
    mods = list(pipe.children())
    assert [type(m).__name__ for m in mods] == [
        "RandomHorizontalFlip", "AlbuAffine", "AlbuCoarseDropout", "AlbuGaussNoise", "AlbuRandomResizedCrop",
        "AlbuCoarseDropout", "AlbuDownscale", "AlbuBrightnessContrast", "AlbuSolarize"]
    assert mods[1].config()["scale"] == {"x": (0.9, 1.1), "y": (0.9, 1.1)}
    assert mods[1].border_mode == 4
    assert mods[2].config()["num_holes_range"] == (2, 8) and mods[2].config()["hole_height_range"] == (4, 8)
    np.testing.assert_allclose(mods[3].config()["std_range"], (10**0.5 / 255, 50**0.5 / 255))
    assert mods[4].config()["size"] == (32, 24)
    assert mods[5].config()["hole_width_range"] == (5.0, 5.0)
    assert mods[8].p == 1.0 and mods[8].config()["threshold_range"] == (200 / 255, 200 / 255)
    assert pipe(torch.rand(2, 3, 40, 40)).shape == (2, 3, 32, 24)


def test_1x_config_round_trips_into_albumentations_2x():
    A = pytest.importorskip("albumentations")
    # 1.x's GaussNoise(var_limit) draws the variance uniformly, which 2.0.8 cannot say: its export is refused ...
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[3\]: GaussNoise with var_range"):
        to_albumentations(from_albumentations(ONE_X))
    # ... as is 1.x's Cutout, whose holes are placed by their centre and clipped at the border ...
    rest = copy.deepcopy(ONE_X)
    assert rest["transform"]["transforms"].pop(3)["__class_fullname__"].endswith("GaussNoise")
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[4\]: 1.x Cutout"):
        to_albumentations(from_albumentations(rest))
    # ... and the rest of the config round-trips.
    assert rest["transform"]["transforms"].pop(4)["__class_fullname__"].endswith("Cutout")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = A.from_dict(to_albumentations(from_albumentations(rest)))
    names = [type(t).__name__ for t in back.transforms]
    assert names[2] == "CoarseDropout" and names[5] == "RandomBrightnessContrast"


@pytest.mark.parametrize("name", ["simclr", "simclr_digits", "classification"])
def test_round_trip_to_albumentations_is_the_same_config(name):
    A = pytest.importorskip("albumentations")
    original = A.load(str(CONFIGS / f"{name}.json"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = A.from_dict(to_albumentations(from_albumentations(CONFIGS / f"{name}.json")))
    assert A.to_dict(back) == A.to_dict(original)


def test_round_trip_of_containers():
    A = pytest.importorskip("albumentations")
    c = A.Compose([A.OneOf([A.HorizontalFlip(p=0.3), A.VerticalFlip(p=0.7)], p=0.9),
                   A.SomeOf([A.Blur(), A.RandomGamma(), A.InvertImg()], n=2, p=0.8),
                   A.Sequential([A.ToGray(p=0.4), A.Solarize(p=0.6)], p=0.5)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = A.from_dict(to_albumentations(from_albumentations(A.to_dict(c))))
    assert A.to_dict(back) == A.to_dict(c)


def test_strict_names_the_path_of_an_unknown_transform():
    cfg = _compose(_t("HorizontalFlip"), _t("Blur"),
                   _t("OneOf", p=0.5, transforms=[_t("NoSuchTransform"), _t("Blur")]))
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[2\]\.transforms\[0\]: NoSuchTransform"):
        from_albumentations(cfg)
    with pytest.warns(UserWarning, match="NoSuchTransform"):
        pipe = from_albumentations(cfg, strict=False)
    assert pipe.albumentations_dropped == ["transform.transforms[2].transforms[0]: NoSuchTransform"]
    assert pipe(torch.rand(2, 3, 8, 8)).shape == (2, 3, 8, 8)


def test_strict_names_an_unsupported_parameter():
    cfg = _compose(_t("ToGray", p=1.0, method="pca"))
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: ToGray: method='pca'"):
        from_albumentations(cfg)
    cfg = _compose(_t("Blur", p=1.0, blur_limit=[3, 5], frobnicate=3))
    with pytest.raises(UnsupportedTransformError, match="frobnicate=3"):
        from_albumentations(cfg)
    with pytest.warns(UserWarning, match="frobnicate"):
        from_albumentations(cfg, strict=False)


def test_conversion_report_lists_pipeline_and_unsupported():
    cfg = _compose(_t("HorizontalFlip"), _t("Lambda", image="x"), _t("Superpixels"))
    text = conversion_report(cfg)
    assert "RandomHorizontalFlip" in text
    assert "transform.transforms[1]: Lambda" in text and "transform.transforms[2]: Superpixels" in text
    assert "none" in conversion_report(_compose(_t("Blur")))


@pytest.mark.parametrize("bad", [
    _compose(_t("Lambda", image="os.system")),
    _compose(_t("os.system")),
    _compose(_t("torch.nn.Module")),
    _compose(_t("__import__")),
    {"transform": {"__class_fullname__": "builtins.eval", "transforms": []}},
])
def test_config_is_data_lambda_and_foreign_names_are_refused(bad):
    with pytest.raises(ValueError):
        from_albumentations(bad)


@pytest.mark.parametrize(("cfg", "match"), [
    ('{"transform": {"__class_fullname__": "Compose", "transforms": [', "malformed JSON"),
    ("{not json}", "malformed JSON"),
    ('[1, 2]', "JSON object"),
    ({"transform": 3}, "must be an object"),
    (_compose(_t("Blur", p="often")), "p must be a number"),
    (_compose(_t("Blur", p=1.5)), r"p must lie in \[0"),
    (_compose(_t("Blur", p=float("nan"))), "finite"),
    (_compose(_t("Blur", blur_limit="big")), "blur_limit"),
    (_compose(_t("Blur", blur_limit=[7, 3])), "low > high"),
    (_compose(_t("RandomGamma", gamma_limit=[-5, 10])), "gamma_limit"),
    (_compose(_t("Solarize", threshold_range=[0.2, 1.5])), "threshold_range"),
    (_compose(_t("Resize", height=0, width=3)), "height"),
    (_compose(_t("Resize", width=3)), "height"),
    (_compose(_t("HorizontalFlip", always_apply="yes")), None),
    ({"transform": {"__class_fullname__": "Compose", "transforms": "HorizontalFlip"}}, "must be a list"),
    ({"transform": {"__class_fullname__": "Compose", "transforms": [3]}}, "must be an object"),
    ({"transform": {"p": 1.0, "transforms": []}}, "__class_fullname__"),
    (_compose(_t("Affine", scale={"x": [1, 1]})), "keys 'x' and 'y'"),
    (_compose(_t("Normalize", std=[0.2, 0.0, 0.1])), "std must be positive"),
    (_compose(bbox_params={"format": 3}), "bbox_params"),
    (42, "config must be"),
    ("missing_file.json", "not found"),
    ("config.txt", "not found"),
])
def test_bad_configs_raise_value_error_with_a_clear_message(cfg, match):
    if match is None:  # ignored harmlessly is not acceptable either: always_apply must be a bool to mean anything
        pipe = from_albumentations(cfg)
        assert isinstance(pipe, AugmentationSequential)
        return
    with pytest.raises(ValueError, match=match):
        from_albumentations(cfg)


def test_wrong_file_suffix_is_refused(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("x = 1")
    with pytest.raises(ValueError, match=r"\.json, \.yaml or \.yml"):
        from_albumentations(f)


def test_absurd_nesting_is_a_value_error_not_a_recursion_error(tmp_path):
    node = _t("HorizontalFlip")
    for _ in range(5000):
        node = {"__class_fullname__": "Sequential", "p": 1.0, "transforms": [node]}
    with pytest.raises(ValueError, match="nests deeper"):
        from_albumentations({"transform": node})
    text = '{"transform": ' + '{"a": [' * 100000 + "]}" * 100000 + "}"
    with pytest.raises(ValueError, match="nests deeper|malformed"):
        from_albumentations(text)
    (tmp_path / "deep.json").write_text(text)
    with pytest.raises(ValueError):
        from_albumentations(tmp_path / "deep.json")


def test_yaml_is_read_with_a_safe_loader(tmp_path):
    pytest.importorskip("yaml")
    f = tmp_path / "evil.yaml"
    f.write_text("transform: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ValueError, match="malformed YAML"):
        from_albumentations(f)


def test_loading_a_file_does_not_need_albumentations(tmp_path):
    """Run in a fresh interpreter where importing albumentations (and cv2) fails."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('albumentations', 'cv2', 'albucore'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import torch, kornia_diffaug\n"
        "from kornia_diffaug import from_albumentations\n"
        f"p = from_albumentations({str(CONFIGS / 'classification.json')!r})\n"
        "y = p(torch.rand(2, 3, 64, 64))\n"
        "assert y.shape == (2, 3, 224, 224)\n"
        "assert not any(m.split('.')[0] in ('albumentations', 'cv2') for m in sys.modules)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("ok")


def test_bbox_and_keypoint_params_become_data_keys():
    cfg = _compose(_t("HorizontalFlip", p=1.0), bbox_params={"format": "coco", "label_fields": []},
                   keypoint_params={"format": "xy"})
    pipe = from_albumentations(cfg)
    assert [k.name for k in pipe.data_keys] == ["IMAGE", "BBOX_XYWH", "KEYPOINTS"]
    x = torch.rand(1, 3, 10, 20)
    img, boxes, kps = pipe(x, torch.tensor([[[2.0, 3.0, 4.0, 5.0]]]), torch.tensor([[[2.0, 3.0]]]))
    torch.testing.assert_close(img, x.flip(-1))
    torch.testing.assert_close(kps, torch.tensor([[[17.0, 3.0]]]))  # pixel centres: x -> W - 1 - x
    assert boxes.shape == (1, 1, 4)
    pipe = from_albumentations(_compose(_t("Blur"), bbox_params={"format": "pascal_voc"}))
    assert [k.name for k in pipe.data_keys] == ["IMAGE", "BBOX_XYXY"]
    with pytest.raises(UnsupportedTransformError, match="keypoint format 'xyas'"):
        from_albumentations(_compose(_t("Blur"), keypoint_params={"format": "xyas"}))


def test_masks_follow_geometric_ops_with_nearest_sampling():
    cfg = _compose(_t("Affine", p=1.0, rotate=[90, 90]))
    pipe = from_albumentations(cfg)
    x = torch.rand(1, 3, 9, 9)
    mask = (torch.rand(1, 1, 9, 9) > 0.5).float()
    img, m = pipe(x, mask, data_keys=["input", "mask"])
    torch.testing.assert_close(m, torch.rot90(mask, 1, (-2, -1)))
    torch.testing.assert_close(img, torch.rot90(x, 1, (-2, -1)), atol=1e-5, rtol=0)


def test_boxes_to_pixels_formats():
    from kornia_diffaug.adapters.albumentations import boxes_to_pixels

    b = torch.tensor([[0.5, 0.5, 0.2, 0.4]])
    torch.testing.assert_close(boxes_to_pixels(b, "yolo", (10, 20)), torch.tensor([[8.0, 3.0, 12.0, 7.0]]))
    torch.testing.assert_close(boxes_to_pixels(torch.tensor([[0.1, 0.2, 0.3, 0.4]]), "albumentations", (10, 20)),
                               torch.tensor([[2.0, 2.0, 6.0, 4.0]]))
    with pytest.raises(ValueError, match="unknown bbox format"):
        boxes_to_pixels(b, "xyz", (1, 1))


def test_size_changing_transform_with_p_below_one_and_nothing_after_raises_for_other_input_sizes():
    pipe = from_albumentations(_compose(_t("RandomCrop", height=4, width=4, p=0.5)))
    assert pipe(torch.rand(2, 3, 4, 4)).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"transforms\[0\]: RandomCrop: for 8x8 inputs the samples end at different"):
        pipe(torch.rand(2, 3, 8, 8))


def test_any_float_dtype_and_seeded_determinism():
    cfg = CONFIGS / "classification.json"
    x = torch.rand(4, 3, 32, 32)
    a = from_albumentations(cfg, generator=torch.Generator().manual_seed(5))
    b = from_albumentations(cfg, generator=torch.Generator().manual_seed(5))
    torch.manual_seed(0)
    ya = a(x)
    torch.manual_seed(0)
    yb = b(x)
    torch.testing.assert_close(ya, yb)
    y64 = from_albumentations(cfg)(x.double())
    assert y64.dtype == torch.float64


def test_missing_p_takes_albumentations_default_per_transform():
    pipe = from_albumentations(_compose(_t("Blur"), _t("RandomRotate90"), _t("Normalize"), _t("Resize", height=4,
                                                                                              width=4)))
    assert [m.p for m in pipe.children()] == [0.5, 1.0, 1.0, 1.0]


def test_hand_built_ops_export_to_albumentations():
    A = pytest.importorskip("albumentations")
    import kornia.augmentation as K

    from kornia_diffaug.ops import albu

    pipe = AugmentationSequential(
        K.RandomHorizontalFlip(p=0.5), albu.AlbuAffine(rotate=(-10, 10), fill=0.5, p=0.7),
        albu.AlbuCrop(0, 0, 20, 10, center=True), albu.AlbuColorJitter(hue=(-0.1, 0.1), p=0.8),
        albu.AlbuGaussianBlur((3, 7), (0.1, 2.0), p=0.5), albu.AlbuGaussNoise((0.1, 0.2), p=0.3),
        K.Normalize(mean=torch.tensor([0.5, 0.4, 0.3]), std=torch.tensor([0.2, 0.2, 0.2])),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = A.from_dict(to_albumentations(pipe))
    names = [type(t).__name__ for t in back.transforms]
    assert names == ["HorizontalFlip", "Affine", "CenterCrop", "ColorJitter", "GaussianBlur", "GaussNoise", "Normalize"]
    assert back.transforms[1].fill == 127.5 and back.transforms[1].p == 0.7
    assert (back.transforms[2].height, back.transforms[2].width) == (10, 20)
    assert back.transforms[3].hue == (-0.1, 0.1)
    np.testing.assert_allclose(back.transforms[6].mean, [0.5, 0.4, 0.3])
    # ... and it loads back into the same ops.
    again = from_albumentations(to_albumentations(pipe))
    assert [type(m).__name__ for m in again.children()] == [type(m).__name__ for m in pipe.children()]
    with pytest.raises(UnsupportedTransformError, match="RandomCutout"):
        from kornia_diffaug import RandomCutout

        to_albumentations(AugmentationSequential(RandomCutout()))


def test_mask_fill_exports_as_the_label_it_was_loaded_with():
    import albumentations as A

    from kornia_diffaug import from_albumentations, to_albumentations

    for t in (
        A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(2, 4), hole_width_range=(2, 4), fill_mask=3, p=1.0),
        A.GridDropout(ratio=0.5, fill_mask=3, p=1.0),
    ):
        out = to_albumentations(from_albumentations(A.to_dict(A.Compose([t]))))
        assert out["transform"]["transforms"][0]["fill_mask"] == 3
        A.from_dict(out)


def test_fixed_size_crops_that_do_not_fit_raise_naming_the_sizes():
    from kornia_diffaug.ops import albu

    x = torch.rand(2, 3, 8, 9)
    with pytest.raises(ValueError, match=r"RandomCrop size \(10, 4\) exceeds the image size \(8, 9\)"):
        albu.AlbuRandomCrop(height=10, width=4)(x)
    with pytest.raises(ValueError, match=r"Crop size \(3, 10\) exceeds the image size \(8, 9\)"):
        albu.AlbuCrop(0, 0, 10, 3, center=True)(x)


@pytest.mark.parametrize("first", [_t("Resize", height=100, width=80), _t("LongestMaxSize", max_size=90),
                                   _t("PadIfNeeded", min_height=260, min_width=240, border_mode=0),
                                   _t("Crop", x_min=10, y_min=0, x_max=150, y_max=120)],
                         ids=lambda t: t["__class_fullname__"])
def test_an_op_after_a_size_change_is_drawn_for_the_new_size(first):
    """Sizes flow: the CenterCrop after a resize, pad or crop crops the image it receives, as in Albumentations."""
    A = pytest.importorskip("albumentations")
    # p=1 written out: A.from_dict reads a missing p as 0.5 (we read what the author meant, 1 for resizes)
    cfg = _compose({**first, "p": 1.0}, _t("CenterCrop", p=1.0, height=50, width=60))
    u = (np.random.default_rng(0).random((200, 180, 3)) * 255).astype(np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = A.from_dict(cfg)(image=u)["image"]
    pipe = from_albumentations(cfg)
    y = pipe(torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255)
    np.testing.assert_allclose(y[0].permute(1, 2, 0).numpy() * 255, ref, atol=1.0)


def test_affine_dict_arguments_take_numbers_as_albumentations_does():
    """``{"x": 5, "y": -3}`` is the fixed range ``{"x": (5, 5), "y": (-3, -3)}``, as ``A.Affine`` reads it."""
    x = torch.rand(1, 3, 12, 16)
    numbers = _t("Affine", p=1.0, translate_px={"x": 5, "y": -3}, scale={"x": 1.0, "y": 1.0}, shear={"x": 0, "y": 0})
    pairs = _t("Affine", p=1.0, translate_px={"x": [5, 5], "y": [-3, -3]})
    torch.testing.assert_close(from_albumentations(_compose(numbers))(x), from_albumentations(_compose(pairs))(x))


# ----------------------------------------------------------------------------------------------- geometric, aliases
OLD_NAMES = {"__version__": "1.3.1", "transform": {
    "__class_fullname__": "albumentations.core.composition.ReplayCompose", "p": 1.0, "save_key": "replay",
    "transforms": [
        {"__class_fullname__": "albumentations.augmentations.transforms.Flip", "always_apply": False, "p": 0.5},
        {"__class_fullname__": "NoOp", "p": 0.5},
        {"__class_fullname__": "albumentations.augmentations.geometric.transforms.OpticalDistortion",
         "always_apply": False, "p": 0.5, "distort_limit": [-0.05, 0.05], "shift_limit": [-0.05, 0.05],
         "interpolation": 1, "border_mode": 4, "value": None, "mask_value": None},
        {"__class_fullname__": "albumentations.augmentations.crops.transforms.RandomSizedCrop", "always_apply": False,
         "p": 1.0, "min_max_height": [20, 30], "height": 24, "width": 28, "w2h_ratio": 1.0, "interpolation": 1},
        {"__class_fullname__": "albumentations.imgaug.transforms.IAAAffine", "p": 0.5, "scale": 1.0,
         "translate_percent": None, "translate_px": None, "rotate": [-10, 10], "shear": 0.0, "order": 1, "cval": 0,
         "mode": "reflect"},
        {"__class_fullname__": "albumentations.pytorch.transforms.ToTensor", "num_classes": 1, "sigmoid": True,
         "normalize": None},
        {"__class_fullname__": "albumentations.pytorch.transforms.ToTensorV2", "always_apply": True, "p": 1.0,
         "transpose_mask": True}]}}


def test_old_names_and_replay_compose_load_with_their_parameters_and_run():
    pipe = from_albumentations(OLD_NAMES, generator=torch.Generator().manual_seed(0))
    names = [type(m).__name__ for m in pipe.children()]
    assert names == ["AlbuFlip", "AlbuNoOp", "AlbuOpticalDistortion", "AlbuRandomSizedCrop", "AlbuAffine", "AlbuNoOp",
                     "AlbuNoOp"]
    mods = list(pipe.children())
    assert mods[2].config()["shift_limit"] == (-0.05, 0.05) and mods[2].border_mode == 4
    assert mods[3].config()["size"] == (24, 28) and mods[3].config()["min_max_height"] == (20, 30)
    assert mods[4].config()["rotate"] == (-10.0, 10.0) and mods[4].border_mode == 4
    x = torch.rand(3, 3, 40, 44, requires_grad=True)
    y = pipe(x)
    assert y.shape == (3, 3, 24, 28)
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("t", [
    _t("NoOp", p=1.0), _t("Flip", p=1.0), _t("OpticalDistortion", p=1.0, distort_limit=0.3),
    _t("OpticalDistortion", p=1.0, distort_limit=0.3, mode="fisheye"), _t("PiecewiseAffine", p=1.0),
    _t("RandomSizedCrop", min_max_height=[10, 20], size=[16, 12]), _t("IAAPerspective", p=1.0),
    _t("IAASharpen", p=1.0), _t("IAAAdditiveGaussianNoise", p=1.0), _t("IAAPiecewiseAffine", p=1.0),
], ids=lambda t: t["__class_fullname__"])
def test_new_rows_pass_gradients_to_the_input(t):
    pipe = from_albumentations(_compose(t), generator=torch.Generator().manual_seed(0))
    x = torch.rand(2, 3, 24, 28, dtype=torch.float64, requires_grad=True)
    pipe(x).square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize(("transforms", "match"), [
    ([_t("ToFloat", max_value=4095)], r"transforms\[0\]: ToFloat: max_value=4095"),
    ([_t("ToFloat"), _t("Normalize")], r"transforms\[1\]: Normalize after ToFloat \(transform\.transforms\[0\]\)"),
    ([_t("ToFloat"), _t("OneOf", transforms=[_t("RGBShift")])], r"transforms\[1\]\.transforms\[0\]: RGBShift after"),
    ([_t("IAAPiecewiseAffine", order=3)], r"transforms\[0\]: IAAPiecewiseAffine: order=3 \(a scikit-image spline"),
    ([_t("PiecewiseAffine", cval=0, mode="constant")], r"PiecewiseAffine: cval, mode: 1\.x parameters"),
    ([_t("ToTensor", num_classes=3)], r"ToTensor: num_classes=3"),
    ([_t("ToTensor", normalize={"mean": [0.5], "std": [0.2]})], r"ToTensor: normalize="),
    ([_t("IAAAffine", mode="wrap")], r"IAAAffine: mode='wrap'"),
    ([_t("IAAAdditiveGaussianNoise", per_channel=0.5)], r"IAAAdditiveGaussianNoise: per_channel=0\.5"),
    ([_t("OpticalDistortion", mode="fisheye", shift_limit=3)], r"shift_limit \(1\.x\) goes with mode='camera'"),
])
def test_what_the_new_rows_cannot_honour_is_refused_naming_the_path(transforms, match):
    with pytest.raises(ValueError, match=match):  # UnsupportedTransformError is a ValueError
        from_albumentations(_compose(*transforms))


def test_to_float_with_a_dtype_maximum_is_the_identity_and_flips_may_follow():
    x = torch.rand(2, 3, 8, 9)
    for m in (None, 255, 65535):
        pipe = from_albumentations(_compose(_t("ToFloat", max_value=m), _t("HorizontalFlip", p=1.0),
                                            _t("ToTensorV2")))
        torch.testing.assert_close(pipe(x), x.flip(-1))


def test_normalize_with_p_below_one_is_decided_per_image():
    """Albumentations draws Normalize's p for each image; Kornia's Normalize gates a whole batch at once."""
    pipe = from_albumentations(_compose(_t("Normalize", p=0.5)), generator=torch.Generator().manual_seed(0))
    x = torch.rand(64, 3, 4, 4)
    y = pipe(x)
    kept = (y == x).flatten(1).all(1)
    assert 10 < int(kept.sum()) < 54
    assert torch.equal(pipe(x, params=pipe._params), y)
