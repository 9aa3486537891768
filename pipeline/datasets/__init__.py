"""Pure dataset I/O with pyarrow: schemas, versioned releases, loading. Never imports dagster."""

from pipeline.datasets.load import load_table

__all__ = ["load_table"]
