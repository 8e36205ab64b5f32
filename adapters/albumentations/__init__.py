"""Albumentations configs <-> differentiable, batched Kornia pipelines.

    >>> from kornia_diffaug.adapters.albumentations import from_albumentations, to_albumentations
    >>> aug = from_albumentations("examples/configs/simclr.json")     # AugmentationSequential
    >>> views = aug(images)                                           # float (B, 3, H, W) in [0, 1], any device
    >>> cfg = to_albumentations(aug)                                  # dict that A.from_dict reads

Conventions: Albumentations sees uint8 HWC ``u``; the Kornia pipeline sees ``u / 255`` as float BCHW. Parameters
keep Albumentations' units and sampling; where Albumentations' behaviour depends on the dtype (hue units of
``HueSaturationValue``, ``RGBShift`` limits, ``Solarize``/``Posterize`` levels) the uint8 behaviour is followed.
Reading a config never imports albumentations and never imports or calls anything the config names: class
names are looked up in :data:`TABLE`, the one mapping table.

The walk of :func:`from_albumentations`, one module a step:

- ``load.py``: the config (dict, JSON, YAML, file, ``Compose``) as plain data, then node by node;
- ``parse.py``: a node's class name and parameters (:class:`~.parse.Args`), ``bbox_params``/``keypoint_params``;
- ``table.py``: the row of the class name: the op class it becomes and its builder;
- ``builders.py`` (shared readers), ``builders_geometric.py``, ``builders_pixel.py``: parameters -> ``op(...)``;
- ``pipeline.py``: the :class:`AlbumentationsPipeline` returned, which runs the box and keypoint checks of
  ``targets.py`` (rules, maths, :func:`unpad`, box formats) between transforms.

``export.py`` walks the other way (:func:`to_albumentations`). Parity with Albumentations itself and the
generated ``docs/albumentations.md`` live outside the package, in ``tools/albu_parity.py`` and
``tools/albu_docs.py``.
"""

from .export import to_albumentations
from .load import conversion_report, from_albumentations
from .parse import UnsupportedTransformError
from .pipeline import AlbumentationsPipeline
from .table import TABLE, supported_transforms
from .targets import boxes_from_pixels, boxes_to_pixels, unpad

__all__ = [
    "TABLE",
    "AlbumentationsPipeline",
    "UnsupportedTransformError",
    "boxes_from_pixels",
    "boxes_to_pixels",
    "conversion_report",
    "from_albumentations",
    "supported_transforms",
    "to_albumentations",
    "unpad",
]
