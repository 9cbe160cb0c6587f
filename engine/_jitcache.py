"""Numba's on-disk cache of compiled kernels, invalidated by any change to the engine's source.

Numba stamps a cached function with *its own* file's modification time and size. A kernel in
``engine/kernel.py`` inlines the block steps it calls from ``engine/blocks/*.py``, so after an
edit to a block (users are meant to write and change blocks) numba would load the kernel
compiled from the *old* block and the run would silently use the old model.

:func:`install` puts cache locators in front of numba's own: the same three file-backed
locators (``NUMBA_CACHE_DIR``, the package's ``__pycache__``, the user-wide cache), restricted
to functions defined in this package and stamped with a hash of every ``.py`` file of the
engine. Any edit anywhere in the engine then recompiles every cached kernel once, and an
unchanged engine loads them as before. Functions of other packages keep numba's own locators.
The locator list is numba's internal ``CacheImpl._locator_classes``; if a numba release renames
it, :func:`install` returns False and numba's per-file stamps apply
(``tests/test_cache.py`` checks the kernels use these locators).
"""

from __future__ import annotations

import functools
import hashlib
import os

from numba.core import caching

ROOT = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def source_stamp() -> str:
    """SHA-256 over the relative path and content of every ``.py`` file of the engine package."""
    files = []
    for dirpath, dirnames, names in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        files += [os.path.join(dirpath, n) for n in names if n.endswith(".py")]
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(os.path.relpath(path, ROOT).replace(os.sep, "/").encode() + b"\0")
        with open(path, "rb") as fh:
            h.update(fh.read() + b"\0")
    return h.hexdigest()


class _EngineStamped:
    """Mixin for numba's file-backed locators: only this package's functions, whole-engine stamp."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if not os.path.abspath(py_file).startswith(ROOT + os.sep):
            return None
        return super().from_function(py_func, py_file)  # type: ignore[misc]  # the locator base it is mixed into

    def get_source_stamp(self):
        return source_stamp()


LOCATORS = tuple(
    type("Engine" + base.__name__, (_EngineStamped, base), {"__module__": __name__})
    for base in (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator, caching.UserWideCacheLocator)
)


def install() -> bool:
    """Put :data:`LOCATORS` first in numba's locator list (once). Must run before the engine's
    ``@njit(cache=True)`` functions are defined. Returns whether numba's list was found."""
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    current = getattr(impl, "_locator_classes", None)
    if impl is None or not isinstance(current, list):
        return False
    if not any(c in LOCATORS for c in current):
        impl._locator_classes = list(LOCATORS) + current
    return True
