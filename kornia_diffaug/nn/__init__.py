"""Feature-level and learned augmentation modules."""
