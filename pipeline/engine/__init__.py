"""Run a pure per-document function over batches (local processes; Ray for clusters)."""
