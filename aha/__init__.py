"""aha: the command line, named presets, reports and figures of aha-playground."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aha-playground")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
