"""User boilerplate rules from a YAML file, merged over the built-in rules.

Format (UTF-8 YAML; every rule needs `name`, `group`, `why` and exactly one of `phrase`/`pattern`)::

    rules:
      - name: acme_more_from            # [a-z0-9_]+, unique; a built-in of the same name is replaced
        group: related                  # a built-in group (newsletter, related, ...) or a new one
        phrase: "More from ACME"        # literal text, case-insensitive, matched as whole words
        match: start                    # where the phrase must be: contains (default) | start | line
        why: ACME's teaser box heading
        kind: opener                    # optional: line (default) | opener | block (see rules.py)
      - name: acme_footer
        group: legal
        pattern: '^ACME Media GmbH\\b'  # a Python regular expression, searched in the line
        why: ACME's company footer
        max_chars: 200                  # optional: longer lines are never removed by this rule
        languages: [de]                 # optional: only for documents in these languages
        case_sensitive: false           # optional
        certain: true                   # optional: false makes a match evidence for the model, not a removal
        keywords: [acme media]          # optional: the line must contain one of these (lowercase) texts;
                                        # lets the classifier skip the pattern on other lines
    disable: [nav_word, pager]          # optional: built-in rule names to switch off

Lines are matched after markup stripping (see `classify.line_core`). User rules are tried before
the built-ins, so a user rule names a line both would match. A `contains` phrase needs no keywords:
the phrase is its own. Patterns that do not start with `^` and have no keywords are searched in every
line, which is fine for a handful of site rules. Any problem with the file raises
`RulesFileError`, whose message names the file and the line ("rules.yaml:7: ...").
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import yaml

from pipeline.cleaning.boilerplate.classify import compile_rule, default_rules
from pipeline.cleaning.boilerplate.rules import KINDS, Rule, RuleKind, RuleSet
from pipeline.cleaning.settings_file import SettingsFileError, compose_settings_yaml, read_settings_text

_NAME = re.compile(r"^[a-z0-9_]+$")
_RULE_KEYS = frozenset(
    {
        "name",
        "group",
        "why",
        "phrase",
        "pattern",
        "match",
        "kind",
        "max_chars",
        "languages",
        "case_sensitive",
        "keywords",
        "certain",
    }
)
_MATCHES = ("contains", "start", "line")
_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


class RulesFileError(SettingsFileError):
    """A rules file that cannot be used; the message names the file and the line."""


def load_rules_file(path: str | Path) -> RuleSet:
    """Load a user rules file and merge it over the built-in rules."""
    p = Path(path)
    return parse_rules(read_settings_text(p, RulesFileError, "the rules file"), source=str(p))


def parse_rules(text: str, *, source: str = "<rules>", base: RuleSet | None = None) -> RuleSet:
    """Parse rules YAML text and merge it over `base` (the built-ins by default)."""
    base = base if base is not None else default_rules()
    root = compose_settings_yaml(text, source, RulesFileError)
    if root is None:
        return base  # an empty file adds nothing
    if not isinstance(root, yaml.MappingNode):
        raise RulesFileError(source, _line(root), "the top level must be a mapping with a 'rules' list")
    user: list[Rule] = []
    disabled: set[str] = set()
    for key_node, value in root.value:
        key = _scalar(key_node, source)
        if key == "rules":
            if not isinstance(value, yaml.SequenceNode):
                raise RulesFileError(source, _line(value), "'rules' must be a list of rules")
            for item in value.value:
                user.append(_rule(item, source))
        elif key == "disable":
            names = _strings(value, source, "disable")
            known = set(base.names())
            for name, node in names:
                if name not in known:
                    raise RulesFileError(source, _line(node), f"cannot disable unknown rule {name!r}")
                disabled.add(name)
        else:
            raise RulesFileError(
                source, _line(key_node), f"unknown top-level key {key!r} (use 'rules', 'disable')"
            )
    seen: dict[str, int] = {}
    for rule, item in zip(user, _rule_nodes(root), strict=True):
        if rule.name in seen:
            raise RulesFileError(
                source, _line(item), f"rule {rule.name!r} is defined twice (first at line {seen[rule.name]})"
            )
        seen[rule.name] = _line(item)
    user_names = set(seen)
    kept = tuple(r for r in base.rules if r.name not in disabled and r.name not in user_names)
    return RuleSet(rules=tuple(user) + kept, sources=(*base.sources, source))


def _rule_nodes(root: yaml.MappingNode) -> list[yaml.Node]:
    """The rule mapping nodes of the document, in order."""
    for key_node, value in root.value:
        if (
            isinstance(key_node, yaml.ScalarNode)
            and key_node.value == "rules"
            and isinstance(value, yaml.SequenceNode)
        ):
            return list(value.value)
    return []


def _rule(node: yaml.Node, source: str) -> Rule:
    """Build and validate one Rule from its YAML mapping node."""
    if not isinstance(node, yaml.MappingNode):
        raise RulesFileError(
            source, _line(node), "each rule must be a mapping (name, group, why, phrase|pattern)"
        )
    fields: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        key = _scalar(key_node, source)
        if key not in _RULE_KEYS:
            raise RulesFileError(
                source, _line(key_node), f"unknown rule key {key!r}; allowed: {sorted(_RULE_KEYS)}"
            )
        if key in fields:
            raise RulesFileError(source, _line(key_node), f"key {key!r} given twice")
        fields[key] = value
    for required in ("name", "group", "why"):
        if required not in fields:
            raise RulesFileError(source, _line(node), f"rule is missing {required!r}")
    name = _scalar(fields["name"], source)
    if not _NAME.match(name):
        raise RulesFileError(source, _line(fields["name"]), f"rule name {name!r} must match [a-z0-9_]+")
    group = _scalar(fields["group"], source)
    if not _NAME.match(group):
        raise RulesFileError(source, _line(fields["group"]), f"group {group!r} must match [a-z0-9_]+")
    why = _scalar(fields["why"], source).strip()
    if not why:
        raise RulesFileError(
            source, _line(fields["why"]), f"rule {name!r}: 'why' must say why the rule exists"
        )
    if ("phrase" in fields) == ("pattern" in fields):
        raise RulesFileError(source, _line(node), f"rule {name!r} needs exactly one of 'phrase' or 'pattern'")
    keywords: tuple[str, ...] = ()
    if "phrase" in fields:
        phrase = _scalar(fields["phrase"], source).strip()
        if not phrase:
            raise RulesFileError(source, _line(fields["phrase"]), f"rule {name!r}: empty phrase")
        match = _scalar(fields["match"], source) if "match" in fields else "contains"
        if match not in _MATCHES:
            raise RulesFileError(
                source, _line(fields["match"]), f"rule {name!r}: match must be one of {_MATCHES}"
            )
        pattern = _phrase_pattern(phrase, match)
        pattern_node = fields["phrase"]
        if match == "contains":
            keywords = (" ".join(phrase.lower().split()),)  # the phrase must occur: a free speed gate
    else:
        if "match" in fields:
            raise RulesFileError(
                source, _line(fields["match"]), f"rule {name!r}: 'match' only applies to a phrase"
            )
        pattern = _scalar(fields["pattern"], source)
        pattern_node = fields["pattern"]
    kind = _scalar(fields["kind"], source) if "kind" in fields else "line"
    if kind not in KINDS:
        raise RulesFileError(source, _line(fields["kind"]), f"rule {name!r}: kind must be one of {KINDS}")
    if "keywords" in fields:
        keywords = tuple(
            " ".join(v.lower().split()) for v, _ in _strings(fields["keywords"], source, "keywords")
        )
        if not all(keywords):
            raise RulesFileError(source, _line(fields["keywords"]), f"rule {name!r}: empty keyword")
    rule = Rule(name=name, group=group, pattern=pattern, why=why, kind=_kind(kind), keywords=keywords)
    if "max_chars" in fields:
        raw = _scalar(fields["max_chars"], source)
        if not raw.isdigit() or int(raw) <= 0:
            raise RulesFileError(
                source, _line(fields["max_chars"]), f"rule {name!r}: max_chars must be a positive integer"
            )
        rule = replace(rule, max_chars=int(raw))
    if "languages" in fields:
        langs = tuple(v.lower() for v, _ in _strings(fields["languages"], source, "languages"))
        rule = replace(rule, languages=langs)
    for flag in ("case_sensitive", "certain"):
        if flag in fields:
            raw = _scalar(fields[flag], source).lower()
            if raw not in _TRUE | _FALSE:
                raise RulesFileError(
                    source, _line(fields[flag]), f"rule {name!r}: {flag} must be true or false"
                )
            if flag == "certain":
                rule = replace(rule, certain=raw in _TRUE)
            else:
                rule = replace(rule, case_sensitive=raw in _TRUE)
    try:
        compile_rule(rule)
    except re.error as exc:
        raise RulesFileError(
            source, _line(pattern_node), f"rule {name!r}: invalid regular expression: {exc}"
        ) from exc
    return rule


def _kind(kind: str) -> RuleKind:
    """Narrow a validated kind string to the RuleKind literal."""
    if kind == "opener":
        return "opener"
    if kind == "block":
        return "block"
    return "line"


def _phrase_pattern(phrase: str, match: str) -> str:
    """A regex for a literal phrase: word-bounded, flexible about whitespace, anchored as `match` says."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    left = r"\b" if phrase[0].isalnum() or phrase[0] == "_" else ""
    right = r"\b" if phrase[-1].isalnum() or phrase[-1] == "_" else ""
    if match == "line":
        return rf"^{body}\W*$"
    if match == "start":
        return rf"^{body}{right}"
    return f"{left}{body}{right}"


def _scalar(node: yaml.Node, source: str) -> str:
    """The text of a scalar node, or a RulesFileError pointing at it."""
    if not isinstance(node, yaml.ScalarNode):
        raise RulesFileError(source, _line(node), "expected a single value here, not a list or mapping")
    return str(node.value)


def _strings(node: yaml.Node, source: str, what: str) -> list[tuple[str, yaml.Node]]:
    """A list of strings (a YAML list, or one value) with their nodes."""
    if isinstance(node, yaml.ScalarNode):
        return [(str(node.value), node)]
    if isinstance(node, yaml.SequenceNode):
        return [(_scalar(item, source), item) for item in node.value]
    raise RulesFileError(source, _line(node), f"'{what}' must be a list of names")


def _line(node: yaml.Node) -> int:
    """The 1-based line where a YAML node starts."""
    return int(node.start_mark.line) + 1
