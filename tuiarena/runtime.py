"""Process-wide settings, owned by one module.

:func:`configure` is called once at start-up by the command-line entry (``cli.main``) and by the app;
:func:`freeze_long_lived` is called by the code that has just built objects which live as long as
the process (the workspace, the SDK's imports, the first painted screen); :func:`collector_paused`
by readers of big files that build many objects and no cycles. Outside the UI's own policy
(``ui.gcpolicy``), nothing else in tuiarena touches ``gc.freeze``, ``gc.disable`` or
``sys.setswitchinterval``. Why: docs/decisions/0001-gc-freeze.md and
docs/decisions/0002-switch-interval.md.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

ENGINE_SWITCH_INTERVAL_S = 0.001  # how long a thread holds the GIL before another may take it


def configure(*, ui: bool) -> None:
    """Set the process-wide policy for this process (idempotent).

    ``ui``: the Textual app runs, and runs stream on an engine thread beside its event loop; that
    thread must get the GIL quickly when bytes arrive while a frame is being painted.
    """
    if ui:
        sys.setswitchinterval(ENGINE_SWITCH_INTERVAL_S)


def freeze_long_lived() -> None:
    """Move every object alive now out of the cyclic collector's reach (it is never freed anyway)."""
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block (and back as it was): for reading a big file into many
    objects with no cycles, which the collector would otherwise rescan again and again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
