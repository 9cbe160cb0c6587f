"""Output folders that a crash cannot leave half-written.

``--out DIR`` is a symbolic link to a hidden *version* folder beside it, ``.DIR.ustsim-XXXX``.
A run writes a new version completely (the marker file last), points a new link at it and
renames the link over ``DIR`` in one atomic step, then deletes every other version. Killed at
any instant, even with SIGKILL, ``DIR`` is the previous complete output or the new complete one;
what a killed run leaves (a hidden half-written version) is deleted by the next run that writes
there. An output written by an earlier ustsim as a plain folder is replaced the same way (moved
aside first: the one moment ``DIR`` is missing, and a run that finds it missing puts it back).

:func:`check` is run before a simulation: the destination must be a ustsim output or free, its
folder writable, with room for the files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable

from .errors import UstsimError

MARKER = ".ustsim-output"  # written last in a complete output


def _parts(out_dir: str) -> tuple[str, str, str]:
    out_dir = os.path.abspath(out_dir)
    return out_dir, os.path.dirname(out_dir), f".{os.path.basename(out_dir)}.ustsim-"


def _is_output(path: str) -> bool:
    return os.path.isdir(path) and os.path.exists(os.path.join(path, MARKER))


def _replaceable(out_dir: str) -> bool:
    """Nothing there, an empty folder, or an earlier ustsim output (a link to a version or a
    legacy folder with the marker)."""
    if not os.path.lexists(out_dir):
        return True
    if os.path.islink(out_dir):
        return os.path.basename(os.readlink(out_dir)).startswith(_parts(out_dir)[2])
    return os.path.isdir(out_dir) and (not os.listdir(out_dir) or _is_output(out_dir))


def check(out_dir: str, need_bytes: int = 0) -> None:
    """Refuse, before any work, a destination that cannot take the outputs: a foreign folder or
    file, a path through a file, a folder that cannot be written, too little free space."""
    out_dir, parent, _ = _parts(out_dir)
    if not _replaceable(out_dir):
        raise UstsimError(f"{out_dir}: exists and is not a ustsim output folder; choose another --out")
    existing = parent
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UstsimError(f"{out_dir}: {existing} is a file, not a folder; choose another --out")
    try:
        fd, probe = tempfile.mkstemp(prefix=".ustsim-probe-", dir=existing)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise UstsimError(f"{out_dir}: cannot write in {existing} ({exc.strerror}); choose another --out") from None
    free = shutil.disk_usage(existing).free
    if free < need_bytes:
        raise UstsimError(
            f"{out_dir}: the outputs need about {need_bytes / 2**20:,.0f} MiB and {existing} has "
            f"{free / 2**20:,.0f} MiB free; free some space or choose another --out"
        )


def _remove(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        with contextlib.suppress(OSError):
            os.remove(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def write(out_dir: str, fill: Callable[[str], None]) -> list[str]:
    """Write a new version of ``out_dir`` with ``fill(folder)`` and put it in place atomically;
    returns the names of the files written. An OSError while writing (a full disk) is refused
    as a user error; nothing is left of the new version either way."""
    out_dir, parent, prefix = _parts(out_dir)
    check(out_dir)
    os.makedirs(parent, exist_ok=True)
    _recover(out_dir, parent, prefix)
    version = tempfile.mkdtemp(prefix=prefix, dir=parent)
    link = version + ".link"
    try:
        os.chmod(version, 0o777 & ~_umask())  # mkdtemp makes it private; outputs get the usual mode
        fill(version)
        open(os.path.join(version, MARKER), "w").close()
        names = sorted(n for n in os.listdir(version) if n != MARKER)
        os.symlink(os.path.basename(version), link)
        if os.path.isdir(out_dir) and not os.path.islink(out_dir):  # an empty or legacy folder
            os.rename(out_dir, tempfile.mkdtemp(prefix=prefix + "aside-", dir=parent) + "/x")
        os.replace(link, out_dir)
    except OSError as exc:
        _remove(link)
        _remove(version)
        raise UstsimError(f"{out_dir}: cannot write the outputs ({exc.strerror or exc}); nothing was written") from None
    except BaseException:
        _remove(link)
        _remove(version)
        raise
    for name in os.listdir(parent):  # every other version: the previous output, leftovers of crashes
        if name.startswith(prefix) and os.path.join(parent, name) != version:
            _remove(os.path.join(parent, name))
    return names


def _recover(out_dir: str, parent: str, prefix: str) -> None:
    """If a run was killed while moving a legacy folder aside, put it back."""
    if os.path.lexists(out_dir):
        return
    for name in sorted(os.listdir(parent)):
        aside = os.path.join(parent, name, "x")
        if name.startswith(prefix + "aside-") and _is_output(aside):
            os.rename(aside, out_dir)
            return


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
