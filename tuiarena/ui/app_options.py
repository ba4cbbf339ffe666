"""What the app is started with: :class:`AppOptions` (knobs for tests and benchmarks) and
:class:`StartRequest` (what the command line asked for). Kept apart from ``ui.app`` so the
command line and ``serve`` can name them without importing the application.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PICK = ["demo/swift", "demo/steady", "demo/thinker"]  # first start without real endpoints


@dataclass
class AppOptions:
    """Knobs for tests and benchmarks; the defaults are what a user gets."""

    probe_local: bool = True  # look for Ollama / LM Studio / vLLM / llama.cpp on loopback
    demo_speed: float | None = None  # None: TUIARENA_DEMO_SPEED or 1
    frame_hz: float = 20.0  # column redraw rate while streaming
    mask_timings: bool = False  # show "…" for clock-dependent figures (stable snapshots)
    cursor_blink: bool = True


@dataclass
class StartRequest:
    """What the command line asked for at start: models to pick, a prompt to run, a session to open."""

    models: list[str] = field(default_factory=list)
    prompt: str | None = None
    system: str | None = None
    session: Path | None = None
