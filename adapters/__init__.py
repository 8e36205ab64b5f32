"""Adapters between other augmentation libraries' configs and Kornia pipelines (``kornia_diffaug.adapters``)."""
