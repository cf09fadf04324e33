"""fentsim — a calibrated, uncertainty-aware policy laboratory for the illicit-fentanyl crisis."""

__version__ = "0.1.0"
