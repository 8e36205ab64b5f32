"""Constructor validation of the foundation ops: errors name the parameter and the allowed range."""

from __future__ import annotations

import pytest
import torch

import kornia_diffaug as kd


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: kd.RandomBrightnessShift(shift=(0.5, -0.5)), "shift has inverted bounds"),
        (lambda: kd.RandomBrightnessShift(shift=0.5), "shift must be a"),
        (lambda: kd.RandomSaturationScale(factor=(-0.1, 1.0)), r"factor must lie in \[0.0, inf\]"),
        (lambda: kd.RandomContrastScale(factor=(2.0, 1.0)), "factor has inverted bounds"),
        (lambda: kd.RandomContrastScale(factor=(0.5, float("nan"))), "factor must be finite"),
        (lambda: kd.RandomIntegerTranslate(ratio=0.0), r"ratio must lie in \(0, 1\]"),
        (lambda: kd.RandomIntegerTranslate(ratio=1.01), r"ratio must lie in \(0, 1\]"),
        (lambda: kd.RandomCutout(ratio=-0.5), r"ratio must lie in \(0, 1\]"),
        (lambda: kd.RandomCutout(num_holes=0), "num_holes must be >= 1"),
        (lambda: kd.RandomCutout(p=2.0), r"p must lie in \[0, 1\]"),
        (lambda: kd.RandomBrightnessShift(p=-1), r"p must lie in \[0, 1\]"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_parameter(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_types_are_checked():
    with pytest.raises(TypeError, match="fill must be a number"):
        kd.RandomCutout(fill="black")
    with pytest.raises(TypeError, match="num_holes must be an int"):
        kd.RandomCutout(num_holes=2.5)
    with pytest.raises(TypeError, match="ratio must be a number"):
        kd.RandomIntegerTranslate(ratio="0.1")


def test_tensor_bounds_stay_tensors_for_learnable_magnitudes():
    lo, hi = torch.tensor(-0.1, requires_grad=True), torch.tensor(0.2, requires_grad=True)
    op = kd.RandomBrightnessShift(shift=(lo, hi))
    op(torch.zeros(16, 1, 2, 2)).sum().backward()
    assert lo.grad is not None and hi.grad is not None
    assert float(lo.grad + hi.grad) == pytest.approx(16 * 4)  # d/d(lo, hi) of lo + u (hi - lo), summed
