"""Re-exports of :mod:`kornia_diffaug._validate` for the Albumentations-compatible ops that still import it.

Deprecated: new code imports ``kornia_diffaug._validate``. This file goes once the Albu ops are switched.
"""

from .._validate import (  # noqa: F401
    check_generator,
    check_int,
    check_probability,
    check_range,
    check_ratio,
    check_value_range,
)
