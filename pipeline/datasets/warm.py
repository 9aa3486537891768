"""What the local engine's fork server imports before it forks workers: the step code, and what that
code would otherwise load in every worker of every stage on first use (the language model and its
library, the Markdown parser, the built-in boilerplate rules compiled for every language hint).

Importing this module does that work; the Dagster process never imports it.
"""

import contextlib
import gc

import charset_normalizer  # noqa: F401 - the step code's libraries, which it may import only where used
import ftfy  # noqa: F401
import pandas  # noqa: F401 - pyarrow imports it on a worker's first conversion from Python rows (0.2 s)
import pyarrow.pandas_compat  # noqa: F401 - and this beside it
import trafilatura  # noqa: F401

from pipeline.cleaning import language
from pipeline.cleaning.boilerplate import classify
from pipeline.cleaning.formats.markdown import markdown_parser
from pipeline.datasets import steps

__all__ = ["steps"]

for _warm_up in (language.warm_up, markdown_parser, classify.warm_up):
    # A failure here would stop the fork server, and every worker with it: left undone, it happens again
    # in a worker, where it fails only the documents that need it, each with its reason recorded.
    with contextlib.suppress(Exception):
        _warm_up()

# Everything loaded so far lives as long as the workers: out of the garbage collector's sight, a worker's
# collections stop walking (and so copying, page by page) the objects it shares with the fork server.
gc.freeze()
# A worker makes and drops millions of small containers (lines, labels, rows), few of them in cycles. At
# CPython's default thresholds (700, 10, 10) it ran about 500 young collections per 1,000 documents and a
# full one every 250 or so, each walking its caches of seen lines: 0.16 ms of CPU per document
# (bench.bench_steps timed by gc.callbacks). A young collection every 10,000 halves that, and cold 10k
# runs took 0.4-2.5 s less in four alternating pairs (bench.run), peak memory unchanged.
gc.set_threshold(10_000, 20, 20)
