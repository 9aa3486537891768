"""Boilerplate removal for text bodies: named rules, the corpus signal, a fitted line model, main region."""

from pipeline.cleaning.boilerplate.classify import (
    CleanResult,
    count_by_rule,
    default_rules,
    guess_language,
    line_core,
)
from pipeline.cleaning.boilerplate.custom import RulesFileError, load_rules_file, parse_rules
from pipeline.cleaning.boilerplate.remove import (
    BoilerplateSettings,
    remove_boilerplate,
    remove_boilerplate_batch,
)
from pipeline.cleaning.boilerplate.repeated import count_lines, normalise_line, select_repeated
from pipeline.cleaning.boilerplate.rules import BUILTIN_GROUPS, Rule, RuleSet

__all__ = [
    "BUILTIN_GROUPS",
    "BoilerplateSettings",
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
    "remove_boilerplate_batch",
    "select_repeated",
]
