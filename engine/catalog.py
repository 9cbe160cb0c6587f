"""The scenario library: the shipped scenarios (``scenarios/`` in the repository, installed with
the package as ``engine.library``) found by name, so ``ustsim run baseline`` and ``extends:
baseline`` work from any directory once the package is installed.

A name resolves to a library file only when no file of that name (with or without ``.yaml``)
exists where it is looked for: a user's own ``baseline.yaml`` beside their scenario wins.
"""

from __future__ import annotations

import os


def _library_dir() -> str:
    """The installed ``engine/library`` when the package was installed from a wheel, else the
    ``scenarios/`` folder of the checkout the package is imported from (an editable install, or
    ``python -m pytest`` at the repository root, which imports ``engine`` from the source tree)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "library"), os.path.join(os.path.dirname(here), "scenarios")):
        if os.path.isdir(d):
            return d
    raise ImportError(f"the scenario library is missing: neither {here}/library nor ../scenarios exists")


#: the folder holding the library's YAML files
LIBRARY_DIR = _library_dir()


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
