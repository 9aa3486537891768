"""The repository's shape: seeds byte for byte, the gold copy, and the pure-logic/wiring boundary."""

from __future__ import annotations

import ast
import hashlib
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import GOLD_FILE, REPO, SEEDS

SHARED = REPO.parent / "shared"
# sha256 of the five sample documents as the team shares them in ../shared/seeds/.
SEED_SHA256 = {
    "000_053669e5178234e8.txt": "9f993e632b8898bd70fd3ef82144e8bef91b3f7fb07f101e7fb9931d745e9077",
    "001_ca23b936812034eb.txt": "6ce2e9237585a811da215d48fc3af5a75ba6b19f940e083df1ec3a750291ca74",
}
# Modules allowed to import dagster: the wiring layer.
DAGSTER_LAYER = ("pipeline/defs/", "pipeline/definitions.py", "pipeline/cli.py")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_seeds_are_the_shared_samples_byte_for_byte() -> None:
    names = sorted(p.name for p in SEEDS.iterdir())
    assert len(names) == 5
    for name, digest in SEED_SHA256.items():
        assert sha256(SEEDS / name) == digest
    if (SHARED / "seeds").is_dir():
        assert names == sorted(p.name for p in (SHARED / "seeds").iterdir())
        for name in names:
            assert sha256(SEEDS / name) == sha256(SHARED / "seeds" / name), name


def test_gold_copy_equals_the_shared_gold() -> None:
    shared_gold = SHARED / "gold" / "seeds.json"
    if not shared_gold.exists():
        pytest.skip("../shared is not beside this checkout")
    assert GOLD_FILE.read_bytes() == shared_gold.read_bytes()


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a Python file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_wiring_layer_imports_dagster() -> None:
    offenders = []
    checked = 0
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith(DAGSTER_LAYER):
            continue
        checked += 1
        if "dagster" in imported_modules(path):
            offenders.append(relative)
    assert checked >= 10  # the pure modules were really looked at
    assert offenders == []


def test_the_boundary_check_sees_a_dagster_import(tmp_path: Path) -> None:
    module = tmp_path / "leak.py"
    module.write_text("def f():\n    from dagster import asset\n    return asset\n")
    assert "dagster" in imported_modules(module)


def private_dagster_uses(path: Path) -> list[str]:
    """Every use of a private Dagster name in a Python file: `dagster._…` imports, attributes and strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Names bound to the dagster package itself (`import dagster as dg`), whose `_` attributes are private.
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "dagster"
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("dagster._")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("dagster._"):
                found.append(node.module)
            elif node.module == "dagster":
                found += [f"dagster.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in aliases and node.attr.startswith("_"):
                found.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Constant) and str(node.value).startswith("dagster._"):
            # importlib.import_module("dagster._core…") and class paths written as strings.
            found.append(str(node.value))
    return [f"{path.name}:{use}" for use in found]


def test_pipeline_uses_only_dagsters_public_api() -> None:
    offenders = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        offenders += private_dagster_uses(path)
    assert offenders == []
    # The instance settings load nothing from the project either (no custom storage built on internals).
    settings = yaml.safe_load((REPO / ".dagster" / "dagster.yaml").read_text())
    assert set(settings) <= {"telemetry", "nux", "concurrency"}


@pytest.mark.parametrize(
    "source",
    [
        "from dagster._core.storage import runs\n",
        "import dagster._core.instance\n",
        "import dagster as dg\ndg._check.not_none(1)\n",
        "from dagster import _seven\n",
        "import importlib\nimportlib.import_module('dagster._utils')\n",
    ],
)
def test_the_private_api_check_sees_each_kind_of_use(tmp_path: Path, source: str) -> None:
    module = tmp_path / "leak.py"
    module.write_text(source)
    assert private_dagster_uses(module)


def test_the_private_api_check_passes_public_uses(tmp_path: Path) -> None:
    module = tmp_path / "fine.py"
    module.write_text("import dagster as dg\nfrom dagster import asset\nx = dg.DagsterInstance.get\n")
    assert private_dagster_uses(module) == []


def test_workspace_and_pyproject_name_the_same_module() -> None:
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]["module_name"]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["dagster"]["module_name"] == module == "pipeline.definitions"


def test_dagster_home_settings_turn_telemetry_off() -> None:
    settings = yaml.safe_load((REPO / ".dagster" / "dagster.yaml").read_text())
    assert settings["telemetry"]["enabled"] is False


def locked_versions(lock: Path) -> dict[str, str]:
    """Package name -> pinned version of a lock file made by `make lock` (`name==version ; markers \\`)."""
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        if line[:1].isalnum() and "==" in line:
            name, _, rest = line.partition("==")
            pins[canonicalize_name(name)] = rest.split()[0].rstrip(";\\")
    return pins


@pytest.mark.parametrize(("lock", "extras"), [("run.txt", ()), ("test.txt", ("dev", "ray", "postgres"))])
def test_lock_files_pin_what_pyproject_asks_for(lock: str, extras: tuple[str, ...]) -> None:
    # A dependency added or re-ranged in pyproject.toml without `make lock` fails here, not on a new machine.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(text) for text in project["dependencies"]]
    wanted += [Requirement(text) for extra in extras for text in project["optional-dependencies"][extra]]
    pins = locked_versions(REPO / "requirements" / lock)
    problems = [
        f"{req}: locked {pins.get(canonicalize_name(req.name))}"
        for req in wanted
        if canonicalize_name(req.name) not in pins
        or not req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)
    ]
    assert problems == [], "run `make lock`"


def test_the_two_lock_files_agree_on_every_shared_version() -> None:
    run = locked_versions(REPO / "requirements" / "run.txt")
    test = locked_versions(REPO / "requirements" / "test.txt")
    assert run and set(run) <= set(test)
    assert {name: (version, test[name]) for name, version in run.items() if test[name] != version} == {}
