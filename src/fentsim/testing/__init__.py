"""Test support shipped with the package (golden summaries)."""
