"""Named augmentation policies and their registry. Importing this package registers them all.

A policy composes ops of :mod:`kornia_diffaug.ops` (or modules of :mod:`kornia_diffaug.nn`) and registers
names for them: ``diffaugment`` (:mod:`.diffaugment`), ``ada:<preset>`` (:mod:`.ada`), ``ssl:simclr`` and
``ssl:byol`` (:mod:`.ssl`), ``learnable[:<ops>]`` and ``learned:<ops>`` (:mod:`.learned`), ``noise_field``
(:mod:`.noise`). :mod:`.registry` maps names to constructors; :func:`build_pipeline` (:mod:`.build`) builds
from a name or an Albumentations config file.
"""

from . import ada, learned, noise, ssl  # noqa: F401  (register their names)
from .build import build_pipeline
from .diffaugment import DiffAugment
from .registry import list_policies, make_policy, policy_info, register_policy

__all__ = ["DiffAugment", "build_pipeline", "list_policies", "make_policy", "policy_info", "register_policy"]
