"""build_pipeline: one call from a registered policy name or an Albumentations config file to a pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import kornia_diffaug as kd
from kornia_diffaug.policies.registry import PolicyEntry, policy_info

CONFIG = Path(__file__).resolve().parents[2] / "examples" / "configs" / "classification.json"


def test_exported_from_the_package():
    assert kd.build_pipeline is kd.policies.build_pipeline


def test_passes_value_range_to_the_policies_that_take_it():
    assert kd.build_pipeline("diffaugment").value_range == (0.0, 1.0)
    aug = kd.build_pipeline("diffaugment", value_range=(-1.0, 1.0), policy="translation")
    assert isinstance(aug, kd.DiffAugment) and aug.value_range == (-1.0, 1.0) and aug.policy == "translation"
    ada = kd.build_pipeline("ada:bgc", value_range=(-1, 1), p=0.25)
    assert isinstance(ada, kd.ADAPipeline) and ada.value_range == (-1.0, 1.0) and float(ada.p) == 0.25
    assert kd.build_pipeline("learnable:color").value_range == (0.0, 1.0)


def test_matches_make_policy():
    torch.manual_seed(0)
    a = kd.build_pipeline("learned:color", value_range=(-1.0, 1.0), hidden=4)
    torch.manual_seed(0)
    b = kd.make_policy("learned:color", value_range=(-1.0, 1.0), hidden=4)
    assert type(a) is type(b) and a.extra_repr() == b.extra_repr()
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)


def test_policies_without_value_range_work_on_unit_images_only():
    views = kd.build_pipeline("ssl:simclr", size=16)
    assert views.size == (16, 16)
    assert kd.build_pipeline("noise_field", amplitude=(0.0, 0.2)).amplitude == (0.0, 0.2)
    with pytest.raises(ValueError, match=r"'ssl:byol' works on images in \[0, 1\] and takes no value_range"):
        kd.build_pipeline("ssl:byol", value_range=(-1.0, 1.0))


def test_the_registry_says_which_policies_take_a_keyword():
    assert policy_info("ada:bgc").accepts("value_range") and policy_info("ada:bgc").accepts("p")
    assert not policy_info("ssl:simclr").accepts("value_range")
    assert list(policy_info("ssl:simclr").parameters()) == ["size"]
    anything = PolicyEntry("any", lambda **kwargs: torch.nn.Identity(), "")
    assert anything.parameters() is None and anything.accepts("value_range")


def test_loads_an_albumentations_config_file():
    ref = kd.from_albumentations(str(CONFIG))
    for spec in (str(CONFIG), CONFIG):
        aug = kd.build_pipeline(spec)
        assert type(aug) is type(ref) and repr(aug) == repr(ref)
    with pytest.raises(ValueError, match="Albumentations config .* works on images in"):
        kd.build_pipeline(CONFIG, value_range=(-1.0, 1.0))


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="'no-such' is neither a registered policy .*ada:bgc.* nor an existing file"):
        kd.build_pipeline("no-such")
    with pytest.raises(ValueError, match="neither a registered policy"):
        kd.build_pipeline(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="spec must be a policy name or a config file path, got int"):
        kd.build_pipeline(3)
    with pytest.raises(TypeError, match="policy 'ada:bgc' does not take flip; it takes: p, value_range"):
        kd.build_pipeline("ada:bgc", flip=1.0)
    with pytest.raises(TypeError, match="value_range must be a"):
        kd.build_pipeline("diffaugment", value_range=1.0)
    with pytest.raises(ValueError, match="value_range must have low < high"):
        kd.build_pipeline("diffaugment", value_range=(1.0, 0.0))


def test_register_policy_checks_the_name():
    before = kd.list_policies()
    with pytest.raises(TypeError, match="policy name must be a non-empty string, got int"):
        kd.register_policy(3, kd.DiffAugment)
    with pytest.raises(ValueError, match="policy name must be a non-empty string"):
        kd.register_policy("", kd.DiffAugment)
    assert kd.list_policies() == before
