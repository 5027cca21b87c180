"""The package version (read by the build, the CLI and reports); imports nothing."""

__version__ = "0.1.0"
