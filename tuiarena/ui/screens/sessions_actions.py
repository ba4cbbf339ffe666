"""The sessions screen's actions that start work elsewhere (:class:`SessionActions`, mixed into
``SessionsScreen``): export, re-run, diff, per-model history.

``R`` re-runs a session against its own models; ``M`` against the models picked on the compare
screen; the notification names the models either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from tuiarena.errors import UserError
from tuiarena.ui.screens.base import ArenaScreen


class SessionActions(ArenaScreen[None]):
    """The base of :class:`~tuiarena.ui.screens.sessions.SessionsScreen` (which owns the state)."""

    sessions: list[Any]
    rerunning: bool
    _select_after_load: str | None

    if TYPE_CHECKING:
        def _need(self) -> Any: ...
        def _status(self) -> None: ...
        def load(self) -> Any: ...
        @property
        def current(self) -> Any: ...

    def action_export(self) -> None:
        s = self._need()
        if s is None:
            return
        from tuiarena.ui.screens.session_dialogs import ExportDialog, slug

        stem = slug(s.name or s.session_id)

        def done(choice) -> None:
            if choice:
                fmt_name, path = choice
                self.export(s.path, fmt_name, path)

        self.app.push_screen(ExportDialog(stem), done)

    @work(thread=True, group="sessions-export", exit_on_error=False)
    def export(self, source: Path, fmt_name: str, target: Path) -> None:
        from tuiarena.ui.screens.session_dialogs import write_export

        try:
            write_export(source, fmt_name, target)
        except (UserError, OSError) as exc:
            self.app.call_from_thread(self.notify, f"export failed: {exc}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"exported {fmt_name} to {target}", timeout=6, markup=False)

    # -- re-run / diff / history ----------------------------------------------------------------------
    def selected_models(self) -> list[str]:
        """The roster's selection (the app keeps ``ui.selected`` in step with every change to it)."""
        config = getattr(self.app, "config", None)
        return list(config.ui.selected or []) if config is not None else []

    def action_rerun(self) -> None:
        s = self._need()
        if s is None:
            return
        self._start_rerun(s, list(s.models))

    def action_rerun_selected(self) -> None:
        """Re-run against the models picked on the compare screen (instead of the session's own)."""
        s = self._need()
        if s is None:
            return
        models = self.selected_models()
        if not models:
            self.notify("no models picked on the compare screen: R re-runs the session's own", severity="warning")
            return
        self._start_rerun(s, models)

    def _start_rerun(self, s, models: list[str]) -> None:
        if self.rerunning:
            self.notify("a re-run is already in progress", severity="warning")
            return
        if getattr(self.app, "workspace", None) is None:
            self.notify("still discovering models — try again in a moment", severity="warning")
            return
        self.rerunning = True
        self._status()
        self.notify(f"re-running {s.runs} run(s) of {s.session_id} against {', '.join(models)}", timeout=4, markup=False)
        self.rerun(s, models)

    @work(exclusive=True, group="sessions-rerun", exit_on_error=False)
    async def rerun(self, s, models: list[str]) -> None:
        import asyncio

        from tuiarena.engine.sessions.rerun import rerun_session
        from tuiarena.store.sessions import read_session

        ws = self.app.workspace
        assert ws is not None  # the re-run action waits for discovery
        try:
            log = await asyncio.to_thread(read_session, s.path)
            result = await rerun_session(log, models, registry=ws.registry, pricing=ws.pricing)
        except Exception as exc:  # a user error or a bug: one notification, never a traceback
            self.notify(f"re-run failed: {exc}", severity="error", markup=False)
            return
        finally:
            self.rerunning = False
        notes = "".join(f"\n{n}" for n in result.notes)
        failed = f", {result.failed} failed" if result.failed else ""
        self.notify(f"re-run saved as {result.session_id} ({result.responses} answers{failed}); D shows the diff{notes}",
                    timeout=8, markup=False)
        self._select_after_load = str(result.path)
        self.load()

    def _find(self, session_id: str):
        return next((x for x in self.sessions if x.session_id == session_id), None)

    def action_diff(self) -> None:
        s = self._need()
        if s is None:
            return
        from tuiarena.ui.screens.diff import DiffScreen

        if s.parent_session:
            parent = self._find(s.parent_session)
            if parent is None:
                self.notify(f"the original session {s.parent_session} is not in your sessions any more", severity="warning")
                return
            self.app.push_screen(DiffScreen(parent.path, s.path))
            return
        children = [x for x in self.sessions if x.parent_session == s.session_id]
        if not children:
            rerun = self.app.key_for("sessions_rerun", "R")
            self.notify(f"nothing to compare with: press {rerun} to re-run this session first", severity="warning")
            return
        self.app.push_screen(DiffScreen(s.path, children[0].path))  # the newest re-run

    def action_history(self) -> None:
        from tuiarena.ui.screens.history import HistoryScreen

        s = self.current
        self.app.push_screen(HistoryScreen(focus_models=list(s.models) if s is not None else None))
