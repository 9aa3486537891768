"""Translation backend registry: none configured, identity, unknown and unavailable backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pipeline.cleaning.translate import (
    IdentityBackend,
    TranslationBackend,
    TranslationUnavailable,
    available_backends,
    get_backend,
    register_backend,
    require_module,
    unregister_backend,
)


@dataclass
class UpperBackend:
    """A stand-in model: translates by upper-casing, and counts how often it was built."""

    name: str = "upper"
    builds: int = 0

    def translate(self, text: str, source: str, target: str) -> str:
        """The text upper-cased, tagged with the language pair."""
        return f"[{source}->{target}] {text.upper()}"


@pytest.fixture
def upper() -> Iterator[list[UpperBackend]]:
    """Registers 'upper' for one test, recording each backend the factory builds."""
    built: list[UpperBackend] = []

    def factory() -> UpperBackend:
        """Build one backend and remember it."""
        backend = UpperBackend()
        built.append(backend)
        return backend

    register_backend("upper", factory)
    yield built
    unregister_backend("upper")


@pytest.mark.parametrize("name", [None, "", "   "])
def test_no_backend_configured_means_none(name: str | None) -> None:
    """No name: no backend, and translated_text stays null."""
    assert get_backend(name) is None


def test_identity_backend_is_registered_and_returns_text() -> None:
    """'identity' ships registered; it returns the text unchanged and satisfies the protocol."""
    backend = get_backend("identity")
    assert isinstance(backend, IdentityBackend) and isinstance(backend, TranslationBackend)
    assert backend.name == "identity"
    assert backend.translate("Guten Tag", "de", "en") == "Guten Tag"
    assert "identity" in available_backends()


def test_names_are_case_and_space_insensitive_and_instances_cached(upper: list[UpperBackend]) -> None:
    """' Upper ' and 'upper' are the same backend, built once however often it is asked for."""
    first = get_backend("upper")
    assert first is get_backend(" Upper ")
    assert len(upper) == 1
    assert first is not None and first.translate("hej", "sv", "en") == "[sv->en] HEJ"


def test_unknown_backend_names_itself_and_the_known_ones() -> None:
    """An unknown name raises TranslationUnavailable saying which names exist."""
    with pytest.raises(TranslationUnavailable, match=r"unknown translation backend 'deepl-pro'.*identity"):
        get_backend("deepl-pro")


def test_registering_twice_needs_replace(upper: list[UpperBackend]) -> None:
    """A second registration under a taken name is refused unless replace=True, which drops the old one."""
    with pytest.raises(ValueError, match="already registered"):
        register_backend("UPPER", UpperBackend)
    old = get_backend("upper")
    register_backend("upper", lambda: UpperBackend(name="upper2"), replace=True)
    new = get_backend("upper")
    assert new is not old and new is not None and new.name == "upper2"


def test_empty_name_cannot_be_registered() -> None:
    """A backend needs a name."""
    with pytest.raises(ValueError):
        register_backend("  ", UpperBackend)


def test_backend_with_missing_package_is_unavailable_and_says_what_to_install() -> None:
    """A factory importing an optional package that is not installed raises, naming package and backend."""

    def factory() -> TranslationBackend:
        """A backend that would wrap an optional translation package."""
        require_module("webcurate_missing_mt.engine", backend="fake-mt", pip_name="webcurate-missing-mt")
        raise AssertionError("unreachable: the package does not exist")

    register_backend("fake-mt", factory)
    try:
        expected = r"'fake-mt' needs .*'webcurate-missing-mt'.*pip install"
        with pytest.raises(TranslationUnavailable, match=expected):
            get_backend("fake-mt")
        # Nothing half-built is cached: once the package "appears", the backend works.
        register_backend("fake-mt", lambda: UpperBackend(name="fake-mt"), replace=True)
        backend = get_backend("fake-mt")
        assert backend is not None and backend.name == "fake-mt"
    finally:
        unregister_backend("fake-mt")


def test_require_module_returns_installed_modules() -> None:
    """An installed module is simply imported."""
    module = require_module("json", backend="any")
    assert module.dumps([1]) == "[1]"
