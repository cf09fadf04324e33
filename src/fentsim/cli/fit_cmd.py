"""Commands: (to be filled by its owner)."""

from .app import app  # noqa: F401
