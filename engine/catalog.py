"""The scenario library: the shipped scenarios (``scenarios/`` in the repository, installed with
the package as ``engine.library``) found by name, so ``ustsim run baseline`` and ``extends:
baseline`` work from any directory once the package is installed.

A name resolves to a library file only when no file of that name (with or without ``.yaml``)
exists where it is looked for: a user's own ``baseline.yaml`` beside their scenario wins.
"""

from __future__ import annotations

import os
from importlib import resources

#: the folder holding the library's YAML files
LIBRARY_DIR = str(resources.files("engine.library"))


def names() -> list[str]:
    """Names of the library's scenarios (file names without ``.yaml``), sorted."""
    return sorted(f[:-5] for f in os.listdir(LIBRARY_DIR) if f.endswith(".yaml"))


def library_path(name: str) -> str | None:
    """The library file of scenario ``name`` (with or without ``.yaml``), or None."""
    if os.sep in name or (os.altsep and os.altsep in name):
        return None
    stem = name[:-5] if name.endswith(".yaml") else name
    path = os.path.join(LIBRARY_DIR, stem + ".yaml")
    return path if os.path.isfile(path) else None


def resolve(path: str) -> str:
    """``path`` if it exists, else ``path.yaml`` if that exists, else the library scenario it
    names (a bare name like ``baseline`` or ``baseline.yaml``), else ``path`` unchanged (the
    caller reports it missing). A user's own file always wins over the library."""
    for p in (path, path + ".yaml"):
        if os.path.exists(p):
            return p
    return library_path(path) or path
