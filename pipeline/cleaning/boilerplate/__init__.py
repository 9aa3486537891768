"""Boilerplate removal for text bodies: named rules, structural signals and the corpus signal."""

from pipeline.cleaning.boilerplate.classify import (
    CleanResult,
    count_by_rule,
    default_rules,
    guess_language,
    line_core,
    remove_boilerplate,
)
from pipeline.cleaning.boilerplate.custom import RulesFileError, load_rules_file, parse_rules
from pipeline.cleaning.boilerplate.repeated import count_lines, normalise_line, select_repeated
from pipeline.cleaning.boilerplate.rules import BUILTIN_GROUPS, Rule, RuleSet

__all__ = [
    "BUILTIN_GROUPS",
    "CleanResult",
    "Rule",
    "RuleSet",
    "RulesFileError",
    "count_by_rule",
    "count_lines",
    "default_rules",
    "guess_language",
    "line_core",
    "load_rules_file",
    "normalise_line",
    "parse_rules",
    "remove_boilerplate",
    "select_repeated",
]
