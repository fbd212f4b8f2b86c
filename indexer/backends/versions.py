"""Version folders of the local index: durable writes, the publishing rename, pruning, leases, rollback.

``--index DIR`` is a symbolic link to ``DIR.versions/vNNNNNN``. A writer (holding the
writer lock, see ``writer.py``) fills ``DIR.versions/.building-PID-*``, fsyncs every file
and folder, renames it to the next ``vNNNNNN`` and swaps the link with one atomic rename.
Old versions are pruned down to the newest ``keep``; a version a live process serves
(its lease in ``DIR.versions/.leases/PID``) or the one being written is never deleted.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from indexer.backends.durable import fsync_path, fsync_tree
from indexer.backends.local_store import IndexLoadError, read_manifest

VERSION_RE = re.compile(r"v(\d{6,})")
BUILDING_PREFIX = ".building-"
LEASES = ".leases"
ROLLED_BACK = "rolledback-"

log = logging.getLogger(__name__)


def versions_dir(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    return index_dir.with_name(index_dir.name + ".versions")


def start_version(index_dir: Path) -> Path:
    """A fresh folder to write the next version into (invisible to readers until published)."""
    base = versions_dir(index_dir)
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{os.getpid()}-", dir=base))


def number(name: str) -> int | None:
    match = VERSION_RE.fullmatch(name)
    return int(match.group(1)) if match else None


def published(index_dir: Path) -> str | None:
    """The version the link points at (one readlink: cheap enough to poll)."""
    try:
        return Path(os.readlink(index_dir)).name
    except OSError:
        return None


def publish(index_dir: Path, building: Path, keep: int) -> str:
    """Make ``building`` the served version: fsync, rename to ``vNNNNNN``, swap the link, prune.

    Call with the writer lock held. Returns the new version's name.
    """
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_symlink():
        raise OSError(f"{index_dir} is a plain folder, not an index written by this tool; move it away or choose "
                      "another --index")
    base = versions_dir(index_dir)
    fsync_tree(building)
    current_number = number(published(index_dir) or "") or 0
    for orphan in complete_versions(index_dir):  # renamed by a writer killed before it swapped the link
        if (number(orphan.name) or 0) > current_number:
            discard(orphan)
    names = [n for p in base.iterdir() if (n := number(p.name.removeprefix(ROLLED_BACK))) is not None]
    final = base / f"v{max(names, default=0) + 1:06d}"
    os.rename(building, final)
    fsync_path(base)
    pause_point("publish")
    point_link(index_dir, final)
    prune(index_dir, keep)
    return final.name


def point_link(index_dir: Path, version: Path) -> None:
    """Swap the link to ``version`` atomically (a temporary link renamed over it) and flush the folder."""
    link_tmp = index_dir.with_name(f".{index_dir.name}.link-{os.getpid()}")
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(os.path.relpath(version, index_dir.parent), link_tmp)
    os.replace(link_tmp, index_dir)
    fsync_path(index_dir.parent)


def complete_versions(index_dir: Path) -> list[Path]:
    """Published-style version folders (``vNNNNNN`` with a manifest), oldest first."""
    base = versions_dir(index_dir)
    if not base.is_dir():
        return []
    found = [(n, p) for p in base.iterdir() if (n := number(p.name)) is not None and (p / "manifest.json").is_file()]
    return [p for _, p in sorted(found)]


def leased(index_dir: Path) -> set[str]:
    """Versions served by live processes."""
    folder = versions_dir(index_dir) / LEASES
    names: set[str] = set()
    if not folder.is_dir():
        return names
    for lease in folder.iterdir():
        if lease.name.isdigit() and _alive(int(lease.name)):
            try:
                names.add(lease.read_text().strip())
            except OSError:
                continue
    return names


def take_lease(index_dir: Path, version: str) -> None:
    """Record that this process serves ``version`` (one lease per process and index)."""
    folder = versions_dir(index_dir) / LEASES
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{os.getpid()}.tmp"
        tmp.write_text(version)
        os.replace(tmp, folder / str(os.getpid()))
    except OSError:  # a read-only index can still be served; it is not pruned by us either
        pass


def prune(index_dir: Path, keep: int) -> list[str]:
    """Delete versions beyond the newest ``keep`` up to the current one, abandoned builds and rolled-back versions.

    The current version, versions leased by live processes and this process's own build are kept.
    """
    base = versions_dir(index_dir)
    current = published(index_dir)
    protected = leased(index_dir) | {current}
    current_number = number(current or "") or 0
    ordered = [p for p in complete_versions(index_dir) if (number(p.name) or 0) <= current_number]
    keep_names = {p.name for p in ordered[-max(keep, 1):]}
    removed = []
    for path in base.iterdir():
        name = path.name
        if name in protected or name in keep_names or name == LEASES:
            continue
        if name.startswith(BUILDING_PREFIX):
            pid = name[len(BUILDING_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and int(pid) == os.getpid():
                continue  # this process is writing it
        elif name.startswith(ROLLED_BACK):
            if name.removeprefix(ROLLED_BACK) in protected:
                continue
        elif number(name) is None:
            continue  # not ours: leave it alone
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    for lease in (base / LEASES).glob("*") if (base / LEASES).is_dir() else []:
        if lease.name.isdigit() and not _alive(int(lease.name)):
            lease.unlink(missing_ok=True)
    return removed


def set_aside(index_dir: Path, name: str) -> None:
    """Rename a version that was rolled back from, so neither rollback nor pruning counts it as history."""
    base = versions_dir(index_dir)
    if (base / name).is_dir():
        os.rename(base / name, base / f"{ROLLED_BACK}{name}")


def rollback(index_dir: Path) -> tuple[str, str, int | None]:
    """Point the link at the newest intact version older than the current one (writer lock held).

    Returns (from, to, the store_seq of the version now served); the version left is set aside.
    """
    current = published(index_dir)
    if current is None:
        raise IndexLoadError(f"no index at {index_dir}; nothing to roll back")
    current_number = number(current) or 0
    for folder in reversed(complete_versions(index_dir)):
        if (number(folder.name) or 0) >= current_number:
            continue
        try:
            _, manifest = read_manifest(folder)
        except IndexLoadError as exc:
            log.warning("skipping %s: %s", folder.name, exc)
            continue
        point_link(Path(index_dir), folder)
        set_aside(index_dir, current)
        return current, folder.name, manifest.store_seq
    raise IndexLoadError(f"{index_dir}: no earlier intact version to roll back to (INDEX_KEEP_VERSIONS sets how "
                         "many are kept)")


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def pause_point(name: str) -> None:
    """Fault-injection hook for the kill -9 tests: ``INDEX_TEST_PAUSE_AT=name`` stops here for a while."""
    if os.environ.get("INDEX_TEST_PAUSE_AT") == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("INDEX_TEST_PAUSE_S", "60")))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
