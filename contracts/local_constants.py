"""A run's data comes from its seed alone, not from the source code of the process that runs it.

Hypothesis draws a share of its strings and numbers from constants: its own, and (recent versions)
those it finds in the source of the process's "local" modules (every module outside site-packages and the
standard library). For the kit that made what a seed generates depend on what the process had
imported: the same `--seed` against the same sandbox sent other scenarios once the literals of
`mock_server/cli.py` had joined the pool (a test collected with another that imported it found
three linked operations fewer). A target is fuzzed with data the kit's own code has no say in.

Hypothesis has no setting for it: the function it asks for the local constants is replaced, for
the length of a run, by one that finds none. Its choice of constants for each kind of value is
cached per thread: Schemathesis generates in threads it starts for each run, whose caches begin
empty, and the caller's is forgotten on the way in and out. Another Hypothesis user in the process
(a user's own property tests beside the kit's pytest plugin, in another thread) draws none either
while a run lasts, and a test case of it under way when the run ends none until that thread's
cache is renewed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants


@contextmanager
def none_drawn() -> Iterator[None]:
    """For the length of a run, Hypothesis draws no constant from the process's local modules. (A
    Hypothesis without the function has nothing to replace; `tests/contracts/test_local_constants.py`
    says whether it still draws them some other way.)"""
    found = getattr(providers, "_get_local_constants", None)
    if found is None:
        yield
        return
    none = Constants()
    providers._get_local_constants = lambda: none
    providers.CONSTANTS_CACHE.cache.clear()  # (this thread's: what it picked, per kind of value)
    try:
        yield
    finally:
        providers._get_local_constants = found
        providers.CONSTANTS_CACHE.cache.clear()
