"""Translation backends behind one small interface, chosen by name from a registry.

The pipeline fills `translated_text` only when a backend is configured; `get_backend(None)` (or "")
means "no translation" and the column stays null. A backend is registered as a factory so that an
optional package is imported, and a local model loaded, only when that backend is asked for; a
backend whose package or model is missing raises `TranslationUnavailable` naming what is missing.
No backend here downloads anything: models must already be on the machine.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol, runtime_checkable

__all__ = [
    "BackendFactory",
    "IdentityBackend",
    "TranslationBackend",
    "TranslationUnavailable",
    "available_backends",
    "get_backend",
    "register_backend",
    "require_module",
    "unregister_backend",
]


@runtime_checkable
class TranslationBackend(Protocol):
    """Translates text between two ISO 639-1 languages."""

    name: str

    def translate(self, text: str, source: str, target: str) -> str:
        """`text` in language `source`, translated to `target`."""
        ...


class TranslationUnavailable(Exception):
    """A translation backend is unknown, or its package or model is not installed."""


BackendFactory = Callable[[], TranslationBackend]

_factories: dict[str, BackendFactory] = {}
_instances: dict[str, TranslationBackend] = {}
# Backends may load a model when built: build each once even when worker threads ask together.
_lock = threading.Lock()


def _key(name: str) -> str:
    """The registry key of a backend name: trimmed, lower case."""
    return name.strip().lower()


def register_backend(name: str, factory: BackendFactory, *, replace: bool = False) -> None:
    """Make `factory` the backend called `name`; it runs on the first `get_backend(name)`."""
    key = _key(name)
    if not key:
        raise ValueError("a translation backend needs a non-empty name")
    with _lock:
        if key in _factories and not replace:
            raise ValueError(f"translation backend {key!r} is already registered (pass replace=True)")
        _factories[key] = factory
        _instances.pop(key, None)


def unregister_backend(name: str) -> None:
    """Forget the backend called `name` (and its built instance); unknown names are ignored."""
    key = _key(name)
    with _lock:
        _factories.pop(key, None)
        _instances.pop(key, None)


def available_backends() -> list[str]:
    """Names of the registered backends, sorted (registered, not necessarily installed)."""
    with _lock:
        return sorted(_factories)


def get_backend(name: str | None) -> TranslationBackend | None:
    """The backend called `name`, built once; None for None or "" (no translation)."""
    if name is None or not name.strip():
        return None
    key = _key(name)
    with _lock:
        if key in _instances:
            return _instances[key]
        factory = _factories.get(key)
        if factory is None:
            known = ", ".join(sorted(_factories)) or "none"
            raise TranslationUnavailable(
                f"unknown translation backend {name!r}; registered backends: {known}"
            )
        backend = factory()  # may raise TranslationUnavailable naming the missing package or model
        _instances[key] = backend
        return backend


def require_module(module: str, *, backend: str, pip_name: str | None = None) -> ModuleType:
    """Import `module` for `backend`, or raise TranslationUnavailable saying which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = pip_name or module.split(".", 1)[0]
        raise TranslationUnavailable(
            f"translation backend {backend!r} needs the Python package {package!r}, which is not installed "
            f"(pip install {package}); it is optional and not a dependency of webcurate"
        ) from exc


@dataclass
class IdentityBackend:
    """Returns the text unchanged: for tests and for wiring the translation step without a model."""

    name: str = "identity"

    def translate(self, text: str, source: str, target: str) -> str:
        """`text` itself, whatever the languages."""
        return text


register_backend("identity", IdentityBackend)
