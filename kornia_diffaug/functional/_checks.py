"""Re-exports for the Albumentations-compatible kernels that still import it: the input checks now live in
:mod:`kornia_diffaug._validate`, the broadcast helper in :mod:`kornia_diffaug.functional._broadcast`.

Deprecated: this file goes once the Albu kernels are switched.
"""

from .._validate import FLOAT_DTYPES, check_image, check_shifts  # noqa: F401
from ._broadcast import per_sample  # noqa: F401
