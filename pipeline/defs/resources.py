"""Settings: a Dagster resource with defaults, overridable by WEBCURATE_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from pipeline.cleaning.boilerplate.model import DEFAULT_THRESHOLD as DEFAULT_BOILERPLATE_THRESHOLD
from pipeline.cleaning.boilerplate.repeated import DEFAULT_MIN_DOCS, DEFAULT_MIN_SHARE
from pipeline.cleaning.ingest import DEFAULT_MAX_BYTES
from pipeline.datasets.dedup import DEFAULT_THRESHOLD
from pipeline.datasets.objectstore import StorePath, is_url, location
from pipeline.datasets.stages import DEFAULT_BATCH_SIZE, StageStore
from pipeline.datasets.stages.store import mirror_under
from pipeline.engine import EngineSpec
from pipeline.engine.local import DEFAULT_TIMEOUT_S
from pipeline.preflight import ENVIRONMENT, parse_setting

# The repository's schemas/ folder (the package is installed in editable mode from the repository).
DEFAULT_SCHEMAS_DIR = str(Path(__file__).resolve().parents[2] / "schemas")


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
    # Where the per-document steps run: "local" (a process pool) or "ray" (a Ray cluster).
    engine: str = "local"
    # The Ray cluster to join ("ray://host:10001" or "auto"); none starts a local one.
    ray_address: str | None = None
    # Local worker processes; 0 means one per core.
    workers: int = 0
    # Documents per batch: a worker's unit of work and what bounds memory.
    batch_size: int = DEFAULT_BATCH_SIZE
    # A document taking longer than this is recorded as skipped ("timed out") and its worker replaced.
    doc_timeout_s: float = DEFAULT_TIMEOUT_S
    # Stage files (the last run's results, reused by the next); none means the Dagster instance's storage.
    work_dir: str | None = None
    # Documents whose word 5-gram sets overlap at least this much (Jaccard, MinHash-estimated) are near
    # duplicates; the release keeps one of each group (exact duplicates always count).
    dedup_threshold: float = DEFAULT_THRESHOLD
    # Keep duplicates in the release's documents table (with duplicate_of set) instead of leaving them out.
    keep_duplicates: bool = False
    # A YAML file of quality-signal thresholds; documents outside one are left out and recorded (README).
    quality_file: str | None = None
    # A line the boilerplate model scores below this probability of content is removed: higher removes
    # more (precision of what is kept), lower keeps more (recall).
    boilerplate_threshold: float = DEFAULT_BOILERPLATE_THRESHOLD
    # Keep readers' comment threads in the text instead of removing them (group comments).
    keep_comments: bool = False

    @property
    def seeds_path(self) -> Path | StorePath:
        """The seeds folder, or the prefix of an object store (`s3://bucket/prefix`)."""
        return location(self.seeds_dir)

    @property
    def release_root(self) -> Path | StorePath:
        """Where the dataset versions and LATEST are: `<output_dir>/curated`, a folder or an object store."""
        return location(self.output_dir) / "curated"

    @property
    def schemas_path(self) -> Path:
        """The folder holding the table schema files."""
        return Path(self.schemas_dir)

    def engine_spec(self) -> EngineSpec:
        """The engine the per-document steps run on (ValueError for an unknown engine name)."""
        return EngineSpec(self.engine, self.workers or None, self.doc_timeout_s, self.ray_address)

    def stage_store(self, instance: dg.DagsterInstance) -> StageStore:
        """Where the stage files live: the work folder, by default `webcurate/` in the instance's storage.

        A work folder on an object store is worked on in a mirror in the instance's storage (the stages
        are on the store; the mirror only spares downloading what it already holds)."""
        storage = Path(instance.storage_directory())
        if self.work_dir and is_url(self.work_dir):
            return StageStore.from_uri(self.work_dir, mirror=mirror_under(storage, self.work_dir))
        return StageStore.from_uri(Path(self.work_dir) if self.work_dir else storage / "webcurate")


def settings_from_env(environ: Mapping[str, str] | None = None) -> WebcurateSettings:
    """Settings with every WEBCURATE_* variable present in `environ` (default: the process's) applied;
    SettingError (a ValueError) for a value not of its setting's type."""
    environ = os.environ if environ is None else environ
    overrides = {
        name: parse_setting(name, environ[variable])
        for name, variable in ENVIRONMENT.items()
        if environ.get(variable)
    }
    return WebcurateSettings(**overrides)  # type: ignore[arg-type]
