"""What the local engine's fork server imports before it forks workers: the step code, and what that
code would otherwise load in every worker of every stage on first use (the language model and its
library, the Markdown parser, the built-in boilerplate rules compiled for every language hint).

Importing this module does that work; the Dagster process never imports it.
"""

from pipeline.cleaning import language
from pipeline.cleaning.boilerplate import classify
from pipeline.cleaning.formats.markdown import markdown_parser
from pipeline.datasets import steps

__all__ = ["steps"]

language.warm_up()
markdown_parser()
classify.warm_up()
