"""Settings checked before a run starts: each problem a user can fix is one line that names the setting
(its environment variable), says what is wrong and how to fix it.

`parse_environment` reads the WEBCURATE_* variables as their settings' types; `check_settings` looks at
the folders, files and values the settings name (the seeds folder, the output folder, the engine, the
rules and quality files, the translation backend, the numeric bounds); the only thing they change is
to make the output (and work) folder when it is missing, as the run would. Both are pure: the CLI calls them
before it starts a run, and the first asset calls `check_settings` for runs started from the UI.
"""

from __future__ import annotations

import errno
import importlib.util
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.cleaning.boilerplate.custom import RulesFileError, load_rules_file
from pipeline.cleaning.quality import ThresholdsFileError, load_thresholds
from pipeline.cleaning.translate import TranslationUnavailable, get_backend
from pipeline.datasets.objectstore import StorePath, check_reachable, is_url
from pipeline.engine import ENGINES

# Setting name -> environment variable that overrides its default.
ENVIRONMENT = {
    "seeds_dir": "WEBCURATE_SEEDS_DIR",
    "output_dir": "WEBCURATE_OUTPUT_DIR",
    "schemas_dir": "WEBCURATE_SCHEMAS_DIR",
    "max_file_bytes": "WEBCURATE_MAX_FILE_BYTES",
    "rules_file": "WEBCURATE_RULES_FILE",
    "target_language": "WEBCURATE_TARGET_LANGUAGE",
    "translation_backend": "WEBCURATE_TRANSLATION_BACKEND",
    "engine": "WEBCURATE_ENGINE",
    "ray_address": "WEBCURATE_RAY_ADDRESS",
    "workers": "WEBCURATE_WORKERS",
    "batch_size": "WEBCURATE_BATCH_SIZE",
    "doc_timeout_s": "WEBCURATE_DOC_TIMEOUT",
    "work_dir": "WEBCURATE_WORK_DIR",
    "repeated_min_docs": "WEBCURATE_REPEATED_MIN_DOCS",
    "repeated_min_share": "WEBCURATE_REPEATED_MIN_SHARE",
    "dedup_threshold": "WEBCURATE_DEDUP_THRESHOLD",
    "keep_duplicates": "WEBCURATE_KEEP_DUPLICATES",
    "quality_file": "WEBCURATE_QUALITY_FILE",
    "boilerplate_threshold": "WEBCURATE_BOILERPLATE_THRESHOLD",
    "keep_comments": "WEBCURATE_KEEP_COMMENTS",
}
INTEGER_SETTINGS = {"max_file_bytes", "repeated_min_docs", "workers", "batch_size"}
FLOAT_SETTINGS = {"repeated_min_share", "doc_timeout_s", "dedup_threshold", "boilerplate_threshold"}
BOOLEAN_SETTINGS = {"keep_duplicates", "keep_comments"}
BOOLEANS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}
# Numeric settings: (lowest allowed, is the lowest itself allowed, highest allowed or None), and a hint.
BOUNDS: dict[str, tuple[float, bool, float | None, str]] = {
    "max_file_bytes": (1, True, None, "a size in bytes such as 67108864 (64 MiB)"),
    "repeated_min_docs": (1, True, None, "a document count such as 10"),
    "workers": (0, True, None, "a process count such as 4, or 0 for one per core"),
    "batch_size": (1, True, None, "a document count such as 500"),
    "doc_timeout_s": (0, False, None, "seconds such as 60"),
    "repeated_min_share": (0, True, 1, "a share between 0 and 1 such as 0.01"),
    "dedup_threshold": (0, False, 1, "a Jaccard similarity above 0 and at most 1, such as 0.8"),
    "boilerplate_threshold": (0, False, 1, "a probability above 0 and at most 1, such as 0.5"),
}


@dataclass(frozen=True)
class SettingProblem:
    """A setting a user must fix: which one (its environment variable), its value, what is wrong, the fix."""

    variable: str
    value: object
    problem: str
    fix: str

    def __str__(self) -> str:
        """The problem as one line: `VARIABLE='value': what is wrong; how to fix it`."""
        return f"{self.variable}={self.value!r}: {self.problem}; {self.fix}"


class SettingError(ValueError):
    """A setting that cannot be used; its message is the problem's one line."""

    def __init__(self, problem: SettingProblem) -> None:
        """Keep the problem; the message is its line."""
        self.problem = problem
        super().__init__(str(problem))


class Settings(Protocol):
    """The settings the checks look at (WebcurateSettings has them all)."""

    @property
    def seeds_dir(self) -> str:
        """The seeds folder."""

    @property
    def output_dir(self) -> str:
        """Where releases go (under curated/)."""

    @property
    def schemas_dir(self) -> str:
        """The table schema files."""

    @property
    def work_dir(self) -> str | None:
        """The stage files (None: the Dagster instance's storage)."""

    @property
    def rules_file(self) -> str | None:
        """The user's boilerplate rules."""

    @property
    def quality_file(self) -> str | None:
        """The quality thresholds."""

    @property
    def engine(self) -> str:
        """local or ray."""

    @property
    def translation_backend(self) -> str | None:
        """A registered translation backend."""


def parse_setting(name: str, value: str) -> object:
    """An environment value as its setting's type; SettingError naming the variable and what it expects."""
    variable = ENVIRONMENT[name]
    if name in BOOLEAN_SETTINGS:
        if value.strip().lower() not in BOOLEANS:
            fix = f"set it to one of {', '.join(BOOLEANS)}, or unset it for the default"
            raise SettingError(SettingProblem(variable, value, "expected true or false", fix))
        return BOOLEANS[value.strip().lower()]
    if name not in INTEGER_SETTINGS | FLOAT_SETTINGS:
        return value
    kind = "an integer" if name in INTEGER_SETTINGS else "a number"
    try:
        return int(value) if name in INTEGER_SETTINGS else float(value)
    except ValueError:
        fix = f"set it to {BOUNDS[name][3]}, or unset it for the default"
        raise SettingError(SettingProblem(variable, value, f"expected {kind}", fix)) from None


def parse_environment(environ: Mapping[str, str]) -> tuple[dict[str, object], list[SettingProblem]]:
    """The settings the WEBCURATE_* variables of `environ` set (empty ones are unset), and the problems
    of those that are not of their setting's type."""
    values: dict[str, object] = {}
    problems: list[SettingProblem] = []
    for name, variable in ENVIRONMENT.items():
        if not environ.get(variable):
            continue
        try:
            values[name] = parse_setting(name, environ[variable])
        except SettingError as exc:
            problems.append(exc.problem)
    return values, problems


def check_settings(settings: Settings) -> list[SettingProblem]:
    """Every problem of the settings that would fail a run, found before it starts."""
    problems = [
        *_bound_problems(settings),
        *(_store_problems("seeds_dir", settings.seeds_dir) if is_url(settings.seeds_dir) else []),
        *([] if is_url(settings.seeds_dir) else _seeds_problems(settings.seeds_dir)),
        *(
            _store_problems("output_dir", settings.output_dir)
            if is_url(settings.output_dir)
            else _writable_problems("output_dir", settings.output_dir, Path(settings.output_dir) / "curated")
        ),
        *_engine_problems(settings.engine),
        *_file_problems(settings),
    ]
    if settings.work_dir and is_url(settings.work_dir):
        problems += _store_problems("work_dir", settings.work_dir)
    elif settings.work_dir:
        problems += _writable_problems("work_dir", settings.work_dir, Path(settings.work_dir))
    schemas = Path(settings.schemas_dir)
    if not schemas.is_dir():
        problem = f"the schemas folder {schemas.absolute()} does not exist or is not a folder"
        fix = "unset it to use the repository's schemas/, or point it at a folder of schema files"
        problems.append(SettingProblem(ENVIRONMENT["schemas_dir"], settings.schemas_dir, problem, fix))
    return problems


def _bound_problems(settings: Settings) -> list[SettingProblem]:
    """The numeric settings outside their allowed range."""
    problems = []
    for name, (low, low_allowed, high, hint) in BOUNDS.items():
        value = getattr(settings, name, None)
        if not isinstance(value, int | float):
            continue
        number = float(value)
        fits = (
            math.isfinite(number)
            and (number >= low if low_allowed else number > low)
            and (high is None or number <= high)
        )
        if not fits:
            problem = "out of range" if math.isfinite(number) else "not a finite number"
            fix = f"set it to {hint}, or unset it for the default"
            problems.append(SettingProblem(ENVIRONMENT[name], value, problem, fix))
    return problems


def _seeds_problems(seeds_dir: str) -> list[SettingProblem]:
    """A seeds folder that does not exist, is not a folder or cannot be listed."""
    variable = ENVIRONMENT["seeds_dir"]
    folder = Path(seeds_dir).absolute()
    fix = f"create it, or set {variable} to the folder that holds your documents"
    if not folder.exists():
        return [SettingProblem(variable, seeds_dir, f"the seeds folder {folder} does not exist", fix)]
    if not folder.is_dir():
        return [SettingProblem(variable, seeds_dir, f"the seeds folder {folder} is not a folder", fix)]
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError as exc:
        problem = f"cannot read the seeds folder {folder}: {exc.strerror or exc}"
        fix = f"give this user read and execute permission on it (chmod u+rx), or set {variable} elsewhere"
        return [SettingProblem(variable, seeds_dir, problem, fix)]
    return []


def _writable_problems(name: str, value: str, target: Path) -> list[SettingProblem]:
    """A folder the run writes in that cannot be made or written: made now if missing (as the run would),
    then written a temporary file to, so that permissions, read-only mounts and the like all show."""
    variable = ENVIRONMENT[name]
    folder = target.absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(folder) else ""
        problem = f"cannot write the {name.removesuffix('_dir')} folder {folder}: {reason}{where}"
        fix = f"make it writable by this user (chmod u+w), or set {variable} to a folder you can write to"
        if exc.errno == errno.ENOTDIR:
            fix = f"a file is in the way: set {variable} to a folder you can write to"
        return [SettingProblem(variable, value, problem, fix)]
    return []


def _store_problems(name: str, url: str) -> list[SettingProblem]:
    """An object-store URL that names no bucket, whose bucket cannot be listed with the AWS settings in
    force, or (for releases) on a store without the conditional writes a release needs."""
    variable = ENVIRONMENT[name]
    try:
        path = StorePath.parse(url)
    except ValueError as exc:
        return [SettingProblem(variable, url, str(exc), "write it as s3://bucket/prefix")]
    if name == "output_dir" and not path.conditional:
        problem = (
            f"releases need conditional writes, which webcurate uses on s3:// only, not {path.scheme}://"
        )
        return [SettingProblem(variable, url, problem, "publish to an s3:// bucket or a local folder")]
    reason = check_reachable(path)
    if reason is None:
        return []
    fix = (
        "check AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, AWS_REGION, "
        "and that the bucket exists"
    )
    return [SettingProblem(variable, url, f"cannot reach bucket {path.bucket!r}: {reason}", fix)]


def _engine_problems(engine: str) -> list[SettingProblem]:
    """An unknown engine, or the ray engine without Ray installed."""
    variable = ENVIRONMENT["engine"]
    if engine not in ENGINES:
        problem = f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
        return [SettingProblem(variable, engine, problem, "or unset it for local (a process pool)")]
    if engine == "ray" and importlib.util.find_spec("ray") is None:
        fix = f"install it with .venv/bin/pip install -e '.[ray]', or set {variable}=local"
        return [SettingProblem(variable, engine, "the ray engine needs Ray, which is not installed", fix)]
    return []


def _file_problems(settings: Settings) -> list[SettingProblem]:
    """A rules file or quality thresholds file that cannot be read or parsed (file:line), and a
    translation backend that is unknown or cannot be loaded."""
    problems = []
    if settings.rules_file:
        try:
            load_rules_file(settings.rules_file)
        except RulesFileError as exc:
            fix = "fix that line (README: 'Your own boilerplate rules'), or unset it for the built-in rules"
            problems.append(SettingProblem(ENVIRONMENT["rules_file"], settings.rules_file, str(exc), fix))
    if settings.quality_file:
        try:
            load_thresholds(settings.quality_file)
        except ThresholdsFileError as exc:
            fix = "fix that line (README: 'Quality thresholds'), or unset it to filter nothing"
            problems.append(SettingProblem(ENVIRONMENT["quality_file"], settings.quality_file, str(exc), fix))
    try:
        get_backend(settings.translation_backend)
    except TranslationUnavailable as exc:
        fix = "install what it names, or unset it to leave translated_text empty"
        variable = ENVIRONMENT["translation_backend"]
        problems.append(SettingProblem(variable, settings.translation_backend, str(exc), fix))
    return problems
