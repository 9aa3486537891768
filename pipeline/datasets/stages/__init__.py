"""The pipeline's stages, one module each: ingest, parse, repeated, curate, dedup, release.

The per-document stages (parse, curate) are `Stage`s run by the one incremental runner (`core.run_stage`);
the whole-corpus ones (repeated lines, duplicates) are recomputed only when the digest of what they read
changes (`core.recorded`); every key is `core.digest`. Stage files live in a `StageStore` (store.py).
Each stage streams its input batch by batch and returns counts for the asset metadata. The modules are
the stages (`stages.ingest.ingest`, `stages.parse.parse`, `stages.curate.curate`, …); the names below
are what callers use most.
"""

from pipeline.datasets.stages import curate, dedup, health, ingest, parse, release, repeated
from pipeline.datasets.stages.core import (
    DEFAULT_BATCH_SIZE,
    Part,
    PartInput,
    Stage,
    StageStats,
    digest,
    run_stage,
)
from pipeline.datasets.stages.curate import CurateOutputs, first_documents
from pipeline.datasets.stages.dedup import find_dups, published_doc_ids
from pipeline.datasets.stages.ingest import input_fingerprint
from pipeline.datasets.stages.release import (
    SchemaEvolutionBlocked,
    check_schemas,
    publish_release,
    release_code_version,
    release_input_key,
)
from pipeline.datasets.stages.repeated import Repeated, find_repeated
from pipeline.datasets.stages.store import StageHandle, StageStore

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CurateOutputs",
    "Part",
    "PartInput",
    "Repeated",
    "SchemaEvolutionBlocked",
    "Stage",
    "StageHandle",
    "StageStats",
    "StageStore",
    "check_schemas",
    "curate",
    "dedup",
    "digest",
    "find_dups",
    "find_repeated",
    "first_documents",
    "health",
    "ingest",
    "input_fingerprint",
    "parse",
    "publish_release",
    "published_doc_ids",
    "release",
    "release_code_version",
    "release_input_key",
    "repeated",
    "run_stage",
]
