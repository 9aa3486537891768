"""Where stage files live: a `StageStore` (a root on a filesystem) hands out lazy `StageHandle`s by name.

This is the one seam for storage: the stages read and write through the paths the store gives them, and
the Dagster IO manager hands downstream assets handles from it and commits what an asset wrote.

A store on a local folder is that folder. A store on an object store (`StageStore.from_uri(
"s3://bucket/prefix")`, through pyarrow's filesystems like the seeds and releases) keeps its stages there
and works on a local mirror of them: a handle's `path` first brings the mirror's copy of the stage up to
date with the store (`pull`: only what changed), the stage code reads and writes the mirror as it would a
work folder, and `commit` (the IO manager, once the asset has written its stage) uploads what is new
(`push`). So any machine with the credentials picks up where another left off, with no shared disk: a
fresh mirror reuses every part of the store's stages (the next run's cache), and nothing is uploaded
twice, parts being named by what they were made from. What is on the store:

    <prefix>/<stage>.parquet/<part>.parquet, …   the parts of a per-document stage (uploaded first)
    <prefix>/<stage>.parquet/parts.json          its list of parts: the commit point (one put)
    <prefix>/<stage>.parquet                     a whole-corpus stage (one put)
    <prefix>/<stage>.parquet.inputs.json         what it was made from (put after it)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from pipeline.datasets import files
from pipeline.datasets.objectstore import StorePath, is_url, s3_client

SUFFIX = ".parquet"
RECORD = ".inputs.json"
# Beside a mirrored stage: its files as last pulled or pushed, `path -> [store signature, local stat]`.
SYNCED = ".synced.json"


def default_mirror(url: str) -> Path:
    """The local mirror of a store's stages when none is given: under the user's cache folder."""
    path = StorePath.parse(url)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "webcurate" / "stages" / path.scheme / path.bucket / path.key


def mirror_under(storage: Path, url: str) -> Path:
    """The mirror of the stages at `url` in a Dagster instance's storage folder (where runs keep it)."""
    where = StorePath.parse(url)
    return storage / "webcurate-mirror" / where.scheme / where.bucket / where.key


@dataclass(frozen=True)
class StageStore:
    """The stage files of one work folder: `<root>/<stage name>.parquet` on `filesystem` (with a local
    `mirror` the stages work on when the filesystem is not local)."""

    root: str
    filesystem: pafs.FileSystem = field(default_factory=pafs.LocalFileSystem, compare=False)
    mirror: Path | None = field(default=None, compare=False)

    @classmethod
    def from_uri(cls, uri: str | Path, mirror: Path | None = None) -> StageStore:
        """A store at a local folder or a filesystem URI (`file:///…`, `s3://bucket/prefix`); an object
        store's stages are worked on in `mirror` (default: under the user's cache folder)."""
        text = str(uri)
        if is_url(text):
            location = StorePath.parse(text)
            return cls(location.fs_path, location.filesystem, mirror or default_mirror(text))
        if "://" not in text:
            return cls(str(Path(text).resolve()))
        filesystem, root = pafs.FileSystem.from_uri(text)
        if not isinstance(filesystem, pafs.LocalFileSystem):
            raise ValueError(f"{text}: stage files go to a local folder or an object store (s3://…)")
        return cls(root)

    @property
    def is_local(self) -> bool:
        """Whether the root is a local folder (the stages read and write it with local paths)."""
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    def handle(self, name: str) -> StageHandle:
        """The stage `name` (nothing is read until asked)."""
        return StageHandle(self, name)

    def local_path(self, name: str) -> Path:
        """Where the stage code reads and writes stage `name`: the folder itself, or the mirror."""
        base = Path(self.root) if self.is_local else self._mirror()
        return base / f"{name}{SUFFIX}"

    def path(self, name: str) -> Path:
        """The local path of stage `name`, on an object store brought up to date with it first."""
        if not self.is_local:
            self.pull(name)
        return self.local_path(name)

    def location(self, name: str) -> str:
        """Where stage `name` is kept, as a user names it: a local path, or a URL on an object store."""
        if self.is_local:
            return str(self.local_path(name))
        return f"{self.filesystem.type_name}://{self._remote(name)}"

    def _mirror(self) -> Path:
        """The local mirror of a store on another filesystem."""
        if self.mirror is None:
            raise ValueError(f"a stage store on {self.filesystem.type_name} needs a local mirror folder")
        return self.mirror

    # --- the mirror of a store on another filesystem -------------------------------------------------

    def _remote(self, name: str) -> str:
        """The stage's path on the filesystem."""
        return f"{self.root}/{name}{SUFFIX}"

    def _objects(self, name: str) -> dict[str, tuple[int, str]]:
        """The store's objects of stage `name` by path under the root (`x.parquet`, `x.parquet/<part>`,
        `x.parquet.inputs.json`), with their size and signature: on S3 the ETag (any write changes it;
        one listing for the whole stage), on other stores the size and modification time."""
        remote = self._remote(name)
        stage = f"{name}{SUFFIX}"
        found: dict[str, tuple[int, str]] = {}
        if self.filesystem.type_name == "s3":
            bucket, _, key = remote.partition("/")
            prefix = key[: -len(stage)]
            pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            for page in pages:
                for item in page.get("Contents", []):
                    found[item["Key"][len(prefix) :]] = (int(item["Size"]), f"etag {item['ETag']}")
        else:
            infos = self.filesystem.get_file_info([remote, remote + RECORD])
            if infos[0].type == pafs.FileType.Directory:
                infos += self.filesystem.get_file_info(pafs.FileSelector(remote))
            for info in infos:
                if info.type == pafs.FileType.File:
                    relative = info.path[len(remote) - len(stage) :]
                    found[relative] = (int(info.size or 0), f"{info.size}:{info.mtime_ns}")
        # Only this stage's own objects: a listing by prefix also finds `x.parquet_other`, deeper keys and
        # the folder markers some stores keep (`x.parquet/`).
        return {relative: value for relative, value in found.items() if _own(stage, relative)}

    def pull(self, name: str) -> None:
        """Bring the mirror's stage `name` up to what the store holds (see _pull), one process at a time."""
        with _mirror_lock(self.local_path(name)):
            self._pull(name)

    def push(self, name: str) -> None:
        """Upload what the mirror's stage `name` has that the store has not (see _push), one process at a
        time."""
        with _mirror_lock(self.local_path(name)):
            self._push(name)

    def _pull(self, name: str) -> None:
        """Bring the mirror's stage `name` up to what the store holds, without losing what was written
        here and not yet pushed (a file changed since it was last synced is left as it is).

        A part already mirrored under its name is not downloaded again (parts are named by what they were
        made from and never rewritten); parts.json, a whole-corpus stage file and its record are, when
        the store's version is not the one last synced; what the store no longer holds goes from the
        mirror too (part files stay, unlisted: the writer's next commit removes them)."""
        local = self.local_path(name)
        local.parent.mkdir(parents=True, exist_ok=True)
        stage = local.name
        synced = _read_synced(local)
        objects = self._objects(name)
        if any(relative.startswith(stage + "/") for relative in objects):
            if local.is_file() and _clean(local, synced.get(stage)):
                local.unlink()
            local.mkdir(exist_ok=True)
        elif local.is_dir() and _clean(local / files.PARTS_FILE, synced.get(f"{stage}/{files.PARTS_FILE}")):
            shutil.rmtree(local)
        now: dict[str, list[str]] = {}
        for relative, (size, signature) in objects.items():
            target = local.parent / relative
            if target.name.startswith(".") or target.is_dir():
                continue
            if relative.startswith(stage + "/") and target.name != files.PARTS_FILE:  # a part
                if not target.is_file() or target.stat().st_size != size:
                    self._download(f"{self.root}/{relative}", target)
                continue
            entry = synced.get(relative)
            if not _clean(target, entry):
                continue  # written here since: pushed by the asset that wrote it
            if entry is None or entry[0] != signature or not target.is_file():
                self._download(f"{self.root}/{relative}", target)
            now[relative] = [signature, _stat(target)]
        for relative in (f"{stage}/{files.PARTS_FILE}", stage, stage + RECORD):
            target = local.parent / relative
            if relative not in objects and target.is_file() and _clean(target, synced.get(relative)):
                target.unlink()
        _write_synced(local, {**{k: v for k, v in synced.items() if k in objects}, **now})

    def _push(self, name: str) -> None:
        """Upload what the mirror's stage `name` has that the store has not: a parted stage's new parts,
        then its parts.json (the commit point), then the removal of parts it no longer lists; a single
        file; then the record of what it was made from."""
        local, remote = self.local_path(name), self._remote(name)
        stage = local.name
        stored = self._objects(name)
        uploaded: list[str] = []
        if local.is_dir():
            names = [part["name"] for part in files.read_parts(local)]
            for part in names:
                if stored.get(f"{stage}/{part}", (None,))[0] != (local / part).stat().st_size:
                    self._upload(local / part, f"{remote}/{part}")
            self._upload(local / files.PARTS_FILE, f"{remote}/{files.PARTS_FILE}")
            uploaded.append(f"{stage}/{files.PARTS_FILE}")
            listed = {f"{stage}/{part}" for part in (*names, files.PARTS_FILE)}
            for relative in stored:
                if relative.startswith(stage + "/") and relative not in listed and relative.endswith(SUFFIX):
                    with contextlib.suppress(FileNotFoundError):
                        self.filesystem.delete_file(f"{self.root}/{relative}")
        elif local.is_file():
            self._upload(local, remote)
            uploaded.append(stage)
        else:
            raise files.StageFileMissing(f"{local} is missing: the stage was not written")
        record = local.with_name(stage + RECORD)
        if record.is_file():
            self._upload(record, remote + RECORD)
            uploaded.append(stage + RECORD)
        objects = self._objects(name)
        now = {r: [objects[r][1], _stat(local.parent / r)] for r in uploaded if r in objects}
        _write_synced(local, {**{k: v for k, v in _read_synced(local).items() if k in objects}, **now})

    def _download(self, source: str, target: Path) -> None:
        """Copy an object to a local file, renamed into place whole."""
        temporary = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
        try:
            with self.filesystem.open_input_stream(source) as stream, temporary.open("wb") as out:
                while chunk := stream.read(1 << 22):
                    out.write(chunk)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    def _upload(self, source: Path, target: str) -> None:
        """Copy a local file to an object (one put, or a multipart upload completed at the end: a reader
        sees the old object or the new one, never part of it)."""
        options = {"source_filesystem": pafs.LocalFileSystem(), "destination_filesystem": self.filesystem}
        try:
            pafs.copy_files(str(source), target, **options)
        except FileNotFoundError:  # a filesystem with real folders (object stores have none to make)
            self.filesystem.create_dir(target.rpartition("/")[0], recursive=True)
            pafs.copy_files(str(source), target, **options)


def _own(stage: str, relative: str) -> bool:
    """Whether an object's path under the root is one of stage file `stage`'s: the file, its record, or
    a file directly inside its folder."""
    if relative in (stage, stage + RECORD):
        return True
    inside = relative.removeprefix(stage + "/")
    return inside != relative and bool(inside) and "/" not in inside


def _synced_path(local: Path) -> Path:
    """The file beside a mirrored stage that records what of the store it holds."""
    return local.with_name(f".{local.name}{SYNCED}")


@contextlib.contextmanager
def _mirror_lock(local: Path) -> Iterator[None]:
    """Hold the lock of a mirrored stage: the step processes of one machine share the mirror, and one that
    recorded a file as synced while another replaced it would take the store's file for a local edit."""
    local.parent.mkdir(parents=True, exist_ok=True)
    with local.with_name(f".{local.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stat(path: Path) -> str:
    """What tells one local version of a file from the next: size, modification time and inode."""
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def _clean(path: Path, entry: list[str] | None) -> bool:
    """Whether a mirrored file is as last synced with the store (or absent): not written here since."""
    if not path.is_file():
        return True
    return entry is not None and entry[1] == _stat(path)


def _read_synced(local: Path) -> dict[str, list[str]]:
    """The files of a mirrored stage as last synced: path -> [the store's signature, the local stat]."""
    try:
        found = json.loads(_synced_path(local).read_text(encoding="utf-8"))
        return {str(k): [str(v[0]), str(v[1])] for k, v in found.items()}
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}


def _write_synced(local: Path, entries: dict[str, list[str]]) -> None:
    """Record the files of a mirrored stage as now synced (renamed into place: other processes read it)."""
    path = _synced_path(local)
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    temporary.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


@dataclass(frozen=True)
class StageHandle:
    """A lazy handle to one stage of a store: what a downstream asset gets for its upstream stage."""

    store: StageStore
    name: str

    @property
    def path(self) -> Path:
        """The stage's local path (a Parquet file, or a folder of parts with parts.json); for a store on
        an object store, its mirror brought up to date first."""
        return self.store.path(self.name)

    @property
    def location(self) -> str:
        """Where the stage is kept: its local path, or its URL on an object store (nothing is read)."""
        return self.store.location(self.name)

    def commit(self) -> None:
        """Make what was written at `path` the store's stage (an upload for a store on an object store,
        nothing for a local folder)."""
        if not self.store.is_local:
            self.store.push(self.name)

    def exists(self) -> bool:
        """Whether the stage was written (a single file, or a parted stage's parts.json)."""
        path = self.path
        return path.is_file() or (path / files.PARTS_FILE).is_file()

    def files(self) -> list[Path]:
        """The stage's Parquet files in order (StageFileMissing if it was never written)."""
        return files.stage_files(self.path)

    def read_batches(
        self, columns: Sequence[str] | None = None, batch_size: int = 1_000
    ) -> Iterator[pa.RecordBatch]:
        """The stage's rows in batches (see files.read_batches)."""
        return files.read_batches(self.path, columns, batch_size)

    def read(self, columns: Sequence[str] | None = None) -> pa.Table:
        """The whole stage as one table (small stages and tests)."""
        return files.read_stage(self.path, columns)

    def count_rows(self) -> int:
        """How many rows the stage holds."""
        return files.count_rows(self.path)

    def version(self) -> str:
        """A digest of the stage's content: equal digests, equal rows (Dagster's data version).

        A parted stage's parts are named by what they were made from, so their list says it; a whole-corpus
        stage records what it was made from beside it; any other file is hashed."""
        path = self.path
        if path.is_dir():
            return files.stage_digest(path)
        found = hashlib.sha256()
        record = path.with_name(path.name + RECORD)
        for source in (record if record.is_file() else path,):
            try:
                found.update(source.read_bytes())
            except FileNotFoundError as exc:
                raise files.StageFileMissing(
                    f"{path} is missing: materialize its upstream asset first"
                ) from exc
        return found.hexdigest()
