"""Load a published table from another project: `load_table("documents")` returns a pandas DataFrame."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.datasets.objectstore import StorePath, location
from pipeline.datasets.versions import list_versions, read_latest

if TYPE_CHECKING:  # pandas (~0.25 s to import) is needed only by a caller of load_table
    import pandas as pd

DEFAULT_ROOT = Path("output") / "curated"


def resolve_version(root: Path | StorePath, version: str = "latest") -> str:
    """The version folder name for `version` ("latest", "v0003" or "3")."""
    if version == "latest":
        latest = read_latest(root)
        if latest is None:
            raise FileNotFoundError(f"no published version under {root} (run `make run` first)")
        return latest
    name = version if version.startswith("v") else f"v{int(version):04d}"
    if name not in list_versions(root):
        raise FileNotFoundError(f"version {name} not found under {root}; have {list_versions(root)}")
    return name


def table_path(
    name: str, version: str = "latest", root: str | os.PathLike[str] | None = None
) -> Path | StorePath:
    """The folder of one table of one version (`root` a folder or an `s3://…/curated` URL)."""
    base = location(root) if root is not None else DEFAULT_ROOT
    folder = base / resolve_version(base, version) / name
    if not folder.is_dir():
        raise FileNotFoundError(f"table {name!r} is not in {folder.parent}")
    return folder


def load_table(
    name: str, version: str = "latest", root: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """A table of a published version (`documents`, `sections`, `removed`, …) as a pandas DataFrame."""
    import pyarrow.dataset as ds  # to_pandas() imports pandas itself

    folder = table_path(name, version, root)
    source = f"{folder}/" if isinstance(folder, StorePath) else folder
    frame: pd.DataFrame = ds.dataset(source, format="parquet").to_table().to_pandas()
    return frame
