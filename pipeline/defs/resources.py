"""Settings and storage: a Dagster resource with defaults, overridable by WEBCURATE_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.cleaning.boilerplate.repeated import DEFAULT_MIN_DOCS, DEFAULT_MIN_SHARE
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES

# The repository's schemas/ folder (the package is installed in editable mode from the repository).
DEFAULT_SCHEMAS_DIR = str(Path(__file__).resolve().parents[2] / "schemas")

# Setting name -> environment variable that overrides its default.
ENVIRONMENT = {
    "seeds_dir": "WEBCURATE_SEEDS_DIR",
    "output_dir": "WEBCURATE_OUTPUT_DIR",
    "schemas_dir": "WEBCURATE_SCHEMAS_DIR",
    "max_file_bytes": "WEBCURATE_MAX_FILE_BYTES",
    "rules_file": "WEBCURATE_RULES_FILE",
    "target_language": "WEBCURATE_TARGET_LANGUAGE",
    "translation_backend": "WEBCURATE_TRANSLATION_BACKEND",
}
INTEGER_SETTINGS = {"max_file_bytes", "repeated_min_docs"}


class WebcurateSettings(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where webcurate reads seeds and writes releases; every field can be set in the UI's launchpad too."""

    seeds_dir: str = "seeds"
    output_dir: str = "output"
    schemas_dir: str = DEFAULT_SCHEMAS_DIR
    max_file_bytes: int = DEFAULT_MAX_BYTES
    # A YAML file of site-specific boilerplate rules merged over the built-in ones (see the README).
    rules_file: str | None = None
    # A line seen in at least this many documents and this share of the corpus is boilerplate.
    repeated_min_docs: int = DEFAULT_MIN_DOCS
    repeated_min_share: float = DEFAULT_MIN_SHARE
    # Documents and sections in another language get needs_translation = true.
    target_language: str = "en"
    # Name of a registered translation backend; none means translated_text stays null.
    translation_backend: str | None = None

    @property
    def seeds_path(self) -> Path:
        """The seeds folder."""
        return Path(self.seeds_dir)

    @property
    def release_root(self) -> Path:
        """The folder holding the dataset versions and LATEST."""
        return Path(self.output_dir) / "curated"

    @property
    def schemas_path(self) -> Path:
        """The folder holding the table schema files."""
        return Path(self.schemas_dir)


def settings_from_env(environ: Mapping[str, str] | None = None) -> WebcurateSettings:
    """Settings with every WEBCURATE_* variable present in `environ` (default: the process's) applied."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, object] = {}
    for name, variable in ENVIRONMENT.items():
        if environ.get(variable):
            value = environ[variable]
            overrides[name] = int(value) if name in INTEGER_SETTINGS else value
    return WebcurateSettings(**overrides)  # type: ignore[arg-type]


class ArrowParquetIOManager(dg.ConfigurableIOManager):  # type: ignore[type-arg]
    """Stores each asset's Arrow table as one Parquet file under the Dagster instance's storage folder."""

    base_dir: str | None = None

    def _path(self, asset_key: dg.AssetKey, instance: dg.DagsterInstance) -> Path:
        """`<base>/<asset key>.parquet`, the base defaulting to `<DAGSTER_HOME>/storage/webcurate`."""
        base = Path(self.base_dir) if self.base_dir else Path(instance.storage_directory()) / "webcurate"
        return base.joinpath(*asset_key.path).with_suffix(".parquet")

    def handle_output(self, context: dg.OutputContext, obj: pa.Table) -> None:
        """Write the table to a temporary file and rename it into place, so readers never see half a file."""
        if obj is None:
            return
        path = self._path(context.asset_key, context.step_context.instance)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        pq.write_table(obj, temporary, compression="zstd")
        os.replace(temporary, path)
        context.add_output_metadata({"storage_path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pa.Table:
        """Read the upstream asset's table."""
        path = self._path(context.asset_key, context.instance)
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: materialize {context.asset_key.to_user_string()} first"
            )
        return pq.read_table(path)
