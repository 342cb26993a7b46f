"""Writing output files safely into folders other people may share.

- Temp files are created with ``mkstemp`` (O_CREAT|O_EXCL, mode 0600): a name planted
  in the folder, symlink or not, is never opened, so nothing outside the folder can be
  truncated or overwritten.
- Final names are made by ``rename``, which replaces a planted symlink itself and never
  writes through it.
- A set of outputs is all-or-nothing as a reader sees it: under one lock per set, the
  old manifest (the last file) is removed first, the other files are renamed into
  place, and the manifest is renamed last. A manifest therefore always sits beside the
  files of the same render.
- Leftover temps of a killed writer of the same set are swept while the lock is held.
- An output path that is one of the inputs is refused before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from newsvoice.errors import OutputError

PART = ".part-"  # temp names: .<final name>.part-<random>
NAME_MAX = 255  # bytes in one file name (Linux, macOS)
_RANDOM = 8  # characters mkstemp adds


def hidden_name(name: str, suffix: str, room: int = 0) -> str:
    """``.<name><suffix>`` in at most NAME_MAX bytes with ``room`` to spare (mkstemp's
    random part): a long name keeps its start and gains a digest of the whole, so the
    temps and locks of a 236-255-byte output name can still be made (and found)."""
    full = f".{name}{suffix}"
    if len(os.fsencode(full)) + room <= NAME_MAX:
        return full
    raw = os.fsencode(name)
    digest = hashlib.sha256(raw).hexdigest()[:12]
    keep = NAME_MAX - room - len(os.fsencode(suffix)) - len(digest) - 2
    return f".{os.fsdecode(raw[:keep])}~{digest}{suffix}"


OUTPUT_SUFFIXES = (
    "wav",
    "mp3",
    "srt",
    "vtt",
    "ttml",
    "avid.txt",
    "json",
)  # what a render may write


def display_path(path: Path | str) -> str:
    """A path as text that always encodes to UTF-8 (undecodable bytes in a file name
    become U+FFFD instead of lone surrogates that crash JSON/CSV writers)."""
    return os.fsencode(path).decode("utf-8", "replace")


def check_output_dir(
    out_dir: Path, *, inputs: Iterable[Path] = (), stem: str | None = None
) -> None:
    """Create the folder and prove it is writable before any work is done; refuse when
    an output named ``stem.<any output suffix>`` there would replace one of ``inputs``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".newsvoice-write-test-", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(
            f"cannot write to output folder {display_path(out_dir)}: {e.strerror or e}"
        ) from e
    if stem is not None:
        refuse_inputs([out_dir / f"{stem}.{ext}" for ext in OUTPUT_SUFFIXES], inputs)


def own_dir(path: Path, *, create: bool = True) -> Path:
    """Create ``path`` (one level) or accept it when it is a real folder; refuse a symlink
    or anything else planted there, so nothing we write, lock or sweep lands outside.
    ``create=False``: only check a folder that is there (a missing one is fine)."""
    try:
        if create:
            os.mkdir(path, 0o777)
        elif not os.path.lexists(path):
            return path
    except FileExistsError:
        pass
    except OSError as e:
        raise OutputError(f"cannot create folder {display_path(path)}: {e.strerror or e}") from None
    try:
        st = os.lstat(path)
    except OSError as e:
        raise OutputError(f"cannot use folder {display_path(path)}: {e.strerror or e}") from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(f"refusing to use {display_path(path)}: it is a symlink (remove it)")
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"refusing to use {display_path(path)}: it is not a folder")
    return path


def _same_place(a: Path, b: Path) -> bool:
    """True when writing to ``a`` would replace the directory entry or the file ``b``."""
    try:
        if os.path.realpath(a.parent) == os.path.realpath(b.parent) and a.name == b.name:
            return True
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def refuse_inputs(outputs: Iterable[Path], inputs: Iterable[Path]) -> None:
    """OutputError when any output path is an input (``render X.json -o X's folder``)."""
    ins = [Path(p) for p in inputs]
    for out in outputs:
        for src in ins:
            if _same_place(Path(out), src):
                raise OutputError(
                    f"refusing to write {display_path(out)}: it is an input of this run "
                    f"(choose another output folder)"
                )


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock between processes, held by ``flock`` on ``lock_path``.

    The lock file is opened without following symlinks and never truncated, and it is
    removed on release; a waiter that then holds a lock on the removed file notices
    (inode changed) and locks the new one."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise OutputError(
                    f"refusing to use lock {display_path(lock_path)}: it is a symlink"
                ) from None
            raise OutputError(f"cannot lock {display_path(lock_path)}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            st = os.fstat(fd)
            try:
                now = os.stat(lock_path, follow_symlinks=False)
            except FileNotFoundError:
                now = None
            if now is not None and (now.st_ino, now.st_dev) == (st.st_ino, st.st_dev):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the holder before us removed it: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)


def set_lock_path(files: Iterable[Path]) -> Path:
    """The lock of an output set: beside its last file (the manifest), named after it."""
    last = list(files)[-1]
    return last.with_name(hidden_name(last.stem, ".lock"))


def sweep_parts(folder: Path, names: Iterable[str]) -> int:
    """Remove temps of ``names`` a killed writer left in ``folder`` (call with the set's
    lock held, so no live writer owns them). Returns how many were removed."""
    n = 0
    for name in names:
        for tmp in glob.glob(
            os.path.join(
                glob.escape(str(folder)), f"{glob.escape(hidden_name(name, PART, _RANDOM))}*"
            )
        ):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
                n += 1
    return n


def _write_temp(path: Path, data: bytes | Callable[[BinaryIO], None]) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=hidden_name(path.name, PART, _RANDOM), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)  # a streamed output (the programme's audio): written as it is made
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual mode
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _read_umask() -> int:
    """The process umask (read once at import, in the main thread: os.umask sets it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


MAX_MANIFEST_BYTES = (
    512 << 20
)  # an old manifest read for its output names (words of a long programme)


def recorded_outputs(manifest: Path) -> list[str]:
    """The names of the outputs the manifest at ``manifest`` says its render wrote beside
    it, keeping only our own (``<stem>.<output suffix>``): [] when there is none, or it
    cannot be read (a regular file of bounded size, else nothing is trusted)."""
    try:
        fd = os.open(manifest, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_MANIFEST_BYTES:
            return []
        with os.fdopen(fd, "rb", closefd=False) as f:
            doc = json.loads(f.read(MAX_MANIFEST_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return []
    finally:
        os.close(fd)
    named = doc.get("outputs") if isinstance(doc, dict) else None
    if not isinstance(named, dict):
        return []
    ours = {f"{manifest.stem}.{ext}" for ext in OUTPUT_SUFFIXES} - {manifest.name}
    return sorted({v for v in named.values() if isinstance(v, str) and v in ours})


def write_outputs(
    files: Mapping[Path, bytes | Callable[[BinaryIO], None]],
    *,
    inputs: Iterable[Path] = (),
    replace_set: bool = False,
) -> None:
    """All-or-nothing: every file goes to a fresh temp name first, then all are renamed.
    A value is the file's bytes, or a function that writes it into the open temp file.

    The last file of ``files`` is the manifest: the old one is removed before any other
    file is replaced and the new one is renamed last, all under the set's lock, so a
    manifest always describes the files beside it.

    ``replace_set``: the set replaces the previous one of its manifest, so the outputs the
    old manifest records and this set does not write (another --subs or --format) are
    removed with it, never left beside a manifest that does not describe them."""
    if not files:
        return
    paths, inputs = list(files), [Path(p) for p in inputs]
    refuse_inputs(paths, inputs)
    folder = paths[-1].parent
    temps: list[tuple[Path, Path]] = []
    current = paths[0]
    try:
        with locked(set_lock_path(paths)):
            sweep_parts(folder, [p.name for p in paths])
            for path, data in files.items():
                current = path
                temps.append((_write_temp(path, data), path))
            current = paths[-1]
            stale = [folder / n for n in recorded_outputs(paths[-1])] if replace_set else []
            with contextlib.suppress(FileNotFoundError):
                os.unlink(paths[-1])
            for old in stale:
                if all(old.name != p.name for p in paths) and not any(
                    _same_place(old, src) for src in inputs
                ):
                    current = old
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(old)
            for tmp, path in temps:
                current = path
                os.replace(tmp, path)
            temps.clear()
    except OSError as e:
        raise OutputError(f"cannot write {display_path(current)}: {e.strerror or e}") from e
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
