"""User settings files (boilerplate rules, quality thresholds): reading them and naming their problems."""

from __future__ import annotations

from pathlib import Path

import yaml


class SettingsFileError(ValueError):
    """A settings file that cannot be used; the message names the file and the line (`file:line: problem`)."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        """Record where the problem is and build the message `file:line: problem`."""
        self.source = source
        self.line = line
        self.problem = problem
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


def read_settings_text(path: Path, error: type[SettingsFileError], what: str) -> str:
    """The UTF-8 text of a settings file; `error` naming `what` it is when it cannot be read or decoded."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(str(path), None, f"cannot read {what}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        # The line of the first undecodable byte, so the user can find it.
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise error(str(path), line, f"{what} is not UTF-8") from exc


def compose_settings_yaml(text: str, source: str, error: type[SettingsFileError]) -> yaml.Node | None:
    """The YAML node tree of a settings file (None when empty), keeping line numbers for the messages;
    `error` naming the line when the YAML is invalid."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise error(source, line, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise error(source, None, f"invalid YAML: {exc}") from exc
