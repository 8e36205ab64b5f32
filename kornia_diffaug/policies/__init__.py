"""Named augmentation policies and their registry. Importing this package registers them all."""

from . import seed, ssl  # noqa: F401  (registers noise_field, learnable:*, learned:*; ssl:simclr, ssl:byol)
from .ada import ADAPipeline  # noqa: F401  (registers ada:<preset>)
from .diffaugment import DiffAugment
from .registry import list_policies, make_policy, policy_info, register_policy

__all__ = ["DiffAugment", "list_policies", "make_policy", "policy_info", "register_policy"]
