"""webcurate: curate scraped web documents into versioned Parquet datasets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("webcurate")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
