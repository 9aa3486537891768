"""User settings files (boilerplate rules, quality thresholds): reading them and naming their problems."""

from __future__ import annotations

from pathlib import Path


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
