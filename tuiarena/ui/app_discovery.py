"""Finding the models (:class:`Discovery`, mixed into ``TuiArena``): after the first frame a
worker opens the workspace, starts the engine thread, fills the compare screen's roster and, for
``tuiarena -m A -m B "prompt"``, picks those models and runs the prompt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from tuiarena.ui.app_nav import Navigation
from tuiarena.ui.app_options import DEFAULT_PICK, StartRequest

if TYPE_CHECKING:
    from textual.worker import Worker

    from tuiarena.engine.run.background import EngineThread, EventInbox, ThreadedRunner
    from tuiarena.engine.workspace import Workspace
    from tuiarena.model import Event
    from tuiarena.store.config import Config
    from tuiarena.ui.widgets.roster import RosterEntry


class Discovery(Navigation):
    """The base of :class:`~tuiarena.ui.app.TuiArena` (which owns the state)."""

    config: Config
    start: StartRequest
    workspace: Workspace | None
    runner: ThreadedRunner | None
    engine: EngineThread | None
    inbox: EventInbox | None
    discovered: asyncio.Event
    _deliver: Callable[[Event], Any]

    @work(exclusive=True, exit_on_error=False, group="discovery")
    async def discover_models(self) -> None:
        from tuiarena.engine.workspace import open_workspace
        from tuiarena.ui.widgets.roster import RosterEntry

        ws = await open_workspace(self.config, probe_local=self.options.probe_local)
        if self.options.demo_speed is not None:
            ws.registry.demo_speed = self.options.demo_speed
        if self.workspace is not None:
            await self.workspace.aclose()
        self.workspace = ws
        # Runs stream on the engine's own loop in its own thread (see engine.background): a frame
        # being painted must not delay when a token is timed. It gets its own registry, since
        # network clients belong to the loop that made them; this loop's registry lists models.
        # The SDK clients are built there now, before the roster offers models: importing openai
        # costs ~1 s of CPU and, at the first run, would freeze the screen and hold back its tokens.
        from tuiarena.engine.run.background import (
            EngineThread,
            EventInbox,
            ThreadedRunner,
        )
        from tuiarena.providers.registry import Registry

        if self.engine is None or self.inbox is None:
            self.engine = EngineThread()
            self.inbox = EventInbox(asyncio.get_running_loop(), self._deliver)
        engine, inbox = self.engine, self.inbox
        if self.runner is not None:
            await self.runner.aclose()
        registry = Registry(list(ws.registry.endpoints.values()), include_demo=True, demo_speed=ws.registry.demo_speed)
        for name in list(ws.registry.endpoints):
            if name != "demo":
                await engine.call_async(registry.get, name)
        self.runner = ThreadedRunner(engine, registry, ws.pricing, sinks=[inbox.put], after_call=inbox.drain)
        models, errors = await ws.registry.list_models()
        entries = [RosterEntry(m.id, m.endpoint, m.model, m.demo, ws.pricing.get(m.id)) for m in models]
        endpoints = sorted({m.endpoint for m in models})
        status = f"{len(models)} models · {len(endpoints)} endpoint{'s' if len(endpoints) != 1 else ''}"
        if ws.only_demo:
            status += "\nonly offline demo models: add endpoints or set OPENAI_API_KEY etc."
        self._fill_roster(entries, status)
        self.collector.settle()  # the SDK clients are built: freeze them too
        self._run_start_prompt()
        notes = [] if ws.only_demo else list(ws.notes)  # the roster already says "demo only"
        notes += [f"{name}: {msg}" for name, msg in errors.items()]
        if notes:
            self.notify("\n".join(notes), title="discovery", markup=False, timeout=6,
                        severity="warning" if errors else "information")
        self.discovered.set()

    def _fill_roster(self, entries: list[RosterEntry], status: str) -> None:
        from tuiarena.ui.widgets.roster import Roster

        screen = self.compare_screen
        if screen is None:
            return
        roster = screen.query_one(Roster)
        roster.set_models(entries, status)
        if self.start.models:  # -m on the command line: those, in that order
            roster.select(list(self.start.models))
        elif not roster.selected and entries:  # first start: a sensible trio to try at once
            real = [e.id for e in entries if not e.demo]  # real endpoints come before the demo
            known = [e.id for e in entries]
            roster.select(real[:3] if real else ([m for m in DEFAULT_PICK if m in known] or known[:3]))

    def _run_start_prompt(self) -> None:
        """A prompt on the command line runs at once."""
        screen = self.compare_screen
        if screen is None or not self.start.prompt:
            return
        from tuiarena.ui.widgets.prompt import PromptEditor

        editor = screen.query_one(PromptEditor)
        editor.user_text = self.start.prompt
        if self.start.system:
            editor.system_text = self.start.system
        self.start.prompt = None
        screen.action_run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR and event.worker.group == "discovery":
            self.notify(f"model discovery failed: {event.worker.error}", severity="error", markup=False)
            self.discovered.set()  # over, if not well: nobody waits for it any longer
