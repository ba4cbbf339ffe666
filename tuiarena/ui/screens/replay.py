"""Replay a saved session with the compare screen's own widgets: the same columns streaming at the
recorded pace, the same stats line per column and the same results grid. Replay never calls a model.

Events come from :func:`tuiarena.engine.sessions.replay.replay_events` in a worker and are folded into a
``ViewState`` (cheap, no widget work). A timer redraws the columns whose version moved, inside
``app.batch_update()``, at most ``frame_hz`` times a second, never per token; switching to a new run
(re-mounting the columns) happens on that timer too, so an instant replay of a thousand runs does
not mount a thousand sets of columns.

When the columns would be narrower than :data:`MIN_COLUMN`, they are paged as on the compare
screen: as many as fit are shown whole (never a sliver of the next), ``]`` / ``[`` (``alt+→/←``)
walk the columns and turn the page, a one-line strip says which answers are on screen, and the
results grid keeps every model's status in view.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker

from tuiarena import fmt
from tuiarena.engine.run.state import ColumnState, ViewState, apply
from tuiarena.engine.sessions.replay import ReplayControl, replay_events
from tuiarena.model import Event, ResponseDone, ResponseStarted, RunStarted
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.paging import column_widths, page_of, per_page
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.keybar import KeyBar
from tuiarena.ui.widgets.results import ResultsGrid

MIN_COLUMN = 36  # below this the columns are paged


class ReplayColumn(OutputColumn):
    """An output column whose clock is the recording's: elapsed = ms of the latest replayed token."""

    def _elapsed(self, col: ColumnState) -> float | None:
        if col.record is not None:
            return col.record.total_ms
        return col.last_ms

    def on_mount(self, event: events.Mount) -> None:  # type: ignore[override]  # guards the column's own
        event.prevent_default()  # Textual would call OutputColumn.on_mount too: it is called here, guarded
        try:
            OutputColumn.on_mount(self)
        except NoMatches:  # removed (the replay moved on) before it finished mounting
            pass


class ReplayScreen(Screen):
    AUTO_FOCUS = ""  # nothing focused at first: the columns come later, and the grid is not the point
    DEFAULT_CSS = """
    ReplayScreen #replay-status { height: 1; padding: 0 1; background: $panel; }
    ReplayScreen #replay-prompt { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    ReplayScreen #replay-columns { height: 1fr; min-height: 5; }
    ReplayScreen #replay-pages { height: 1; padding: 0 1; color: $text-muted; display: none; }
    ReplayScreen.-paged #replay-pages { display: block; }
    ReplayScreen #replay-notes { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    ReplayScreen ResultsGrid { height: auto; max-height: 8; }
    """

    BINDINGS = [
        Binding("space", "pause", "Pause", id="replay_pause"),
        Binding("n", "step", "Next run", id="replay_step"),
        Binding("1", "speed(1)", "1x", id="replay_speed_1"),
        Binding("2", "speed(2)", "2x", id="replay_speed_2"),
        Binding("4", "speed(4)", "4x", id="replay_speed_4"),
        Binding("i", "instant", "Instant", id="replay_instant"),
        Binding("comma", "browse(-1)", "Prev run", id="replay_prev_run", show=False),
        Binding("full_stop", "browse(1)", "Next run (view)", id="replay_next_run", show=False),
        Binding("alt+right,right_square_bracket", "focus_column(1)", "Next column", id="replay_next_column",
                show=False),
        Binding("alt+left,left_square_bracket", "focus_column(-1)", "Previous column", id="replay_prev_column",
                show=False),
        Binding("escape,q", "back", "Back", id="replay_back"),
    ]

    def __init__(self, path: Path | str, speed: float = 1.0, instant: bool = False, frame_hz: float | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.control = ReplayControl(speed=speed, instant=instant)
        self.view = ViewState()
        self.finished = Milestone("the session read to its end")
        self.drawn = Milestone("the last run on screen")  # once finished: its columns drawn, Markdown rendered
        self.error: str | None = None
        self.follow = True  # show each run as it starts (off while browsing older runs)
        self.frame_hz = frame_hz
        self._want_run: str | None = None
        self._shown_run: str | None = None
        self._models: dict[str, dict[str, str]] = {}  # run id -> model -> latest response id
        self._dirty = False
        self._worker: Worker[None] | None = None
        self._columns: list[ReplayColumn] = []  # the shown run's widgets (removed ones may linger in the DOM)
        self.page = 0  # which page of columns is on screen, when they do not all fit
        self._anchor: OutputColumn | None = None  # the column the page follows (the focused one)
        self.title_text = self.path.name

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⚖")
        yield Static(Text("reading session…"), id="replay-status")
        yield Static(id="replay-prompt")
        yield Static(id="replay-pages")
        yield Horizontal(id="replay-columns")
        yield Static(id="replay-notes")
        yield ResultsGrid(mask_timings=getattr(getattr(self.app, "options", None), "mask_timings", False))
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "replay"
        hz = self.frame_hz or getattr(getattr(self.app, "options", None), "frame_hz", 20.0) or 20.0
        self.set_interval(1 / max(hz, 1), self.frame)
        self._worker = self.run_worker(self._play(), group="replay", exclusive=True, exit_on_error=False)

    def on_unmount(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    # -- the replay ----------------------------------------------------------------------------
    async def _play(self) -> None:
        from tuiarena.errors import UserError
        from tuiarena.store.sessions import read_session

        try:
            log = await asyncio.to_thread(read_session, self.path)
        except UserError as exc:
            self.error = str(exc)
            self._dirty = True
            self.notify(str(exc), severity="error", markup=False)
            return
        self.title_text = fmt.visible(log.name or log.header.session_id)
        if log.skipped:
            self.notify(f"{len(log.skipped)} unreadable line(s) skipped", severity="warning", markup=False)
        if self.control.instant:
            # the final state at once: fold the log itself (replay_events would rebuild every delta)
            if log.header is not None:
                self.fold(log.header)
            for n, event in enumerate(log.events):
                self.fold(event)
                if n % 2000 == 1999:
                    await asyncio.sleep(0)
            self.control.run_count = len(self.view.run_order)
        else:
            async for event in replay_events(log, control=self.control):
                self.fold(event)
        if self.view.run_order and (self.follow or self._want_run is None):
            self._want_run = self.view.run_order[-1]
        self.finished.reach()
        self._dirty = True

    def fold(self, event: Event) -> None:
        apply(self.view, event)
        if type(event) is RunStarted:
            self._models[event.run_id] = dict(event.response_ids)
            # instant: no columns for the runs flying past; the last one is shown at the end
            if (self.follow or self._want_run is None) and not self.control.instant:
                self._want_run = event.run_id
        elif type(event) is ResponseStarted or type(event) is ResponseDone:
            models = self._models.setdefault(event.run_id, {})
            models[event.model] = event.response_id  # a re-run column: the newest answer shows
        self._dirty = True

    # -- drawing (timer) -------------------------------------------------------------------------
    @property
    def shown_columns(self) -> list[ReplayColumn]:
        """The column widgets of the run on screen."""
        return [c for c in self._columns if c.is_attached]

    def frame(self) -> None:
        if self.finished and not self.drawn and not self._dirty and self._shown_run == self._want_run \
                and all(c.rendered for c in self._columns if c.display):  # (the page on screen)
            self.drawn.reach()
        want = self._want_run
        if want is not None and want != self._shown_run and all(c.ready for c in self._columns):
            self._mount_run(want)  # never remove columns that are still mounting
            return
        if not self._dirty:
            return
        self._dirty = False
        pending = False
        run_id = self._shown_run
        with self.app.batch_update():
            if run_id is not None:
                wanted = self._models.get(run_id, {})
                for widget in self._columns:
                    if not widget.is_attached:  # mounting: draw it next frame
                        pending = True
                        continue
                    rid = wanted.get(widget.model, widget.response_id)
                    if rid != widget.response_id and widget.ready:
                        widget.reset(rid, widget.model)
                    col = self.view.columns.get(widget.response_id)
                    if col is not None:
                        widget.sync(col)
                    pending = pending or not widget.ready
                self.query_one(ResultsGrid).sync(self.columns())
            self._draw_status()
            self._draw_notes()
        self._dirty = self._dirty or pending

    def columns(self) -> list[ColumnState]:
        """The shown run's columns (latest answer per model)."""
        run_id = self._shown_run
        if run_id is None:
            return []
        return [self.view.columns[rid] for rid in self._models.get(run_id, {}).values() if rid in self.view.columns]

    def _mount_run(self, run_id: str) -> None:
        self._shown_run = run_id
        run = self.view.runs[run_id]
        area = self.query_one("#replay-columns", Horizontal)
        self.page, self._anchor = 0, None
        mask = getattr(getattr(self.app, "options", None), "mask_timings", False)
        with self.app.batch_update():
            area.remove_children()
            models = self._models[run_id]
            self._columns = [ReplayColumn(rid, model, mask_timings=mask, jump_phase=i / len(models))
                             for i, (model, rid) in enumerate(models.items())]
            area.mount_all(self._columns)
            grid = self.query_one(ResultsGrid)
            grid.reset()
            prompt = self.query_one("#replay-prompt", Static)
            text = Text()
            for m in run.messages:
                role = m.get("role", "?")
                content = m.get("content")
                if isinstance(content, list):
                    content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
                line = " ".join(fmt.visible(str(content or "")).split())
                text.append(f"{role}> ", style="bold")
                text.append(line[:400] + ("\n" if m is not run.messages[-1] else ""))
            prompt.update(text)
        self._dirty = True
        self.call_after_refresh(self._layout_columns)

    def _layout_columns(self) -> None:
        """Share the width between the columns of the current page (or the zoomed one); hide the others."""
        area = self.query_one("#replay-columns", Horizontal)
        columns = [c for c in self._columns if c.is_attached]
        if not columns or not area.size.width:
            return
        total, n = area.size.width, len(columns)
        anchor = columns.index(self._anchor) if self._anchor in columns else None
        at = page_of(n, per_page(total, n, MIN_COLUMN), anchor, self.page)
        self.page = at.page
        shown = columns[at.start:at.stop]
        widths = dict(zip(shown, column_widths(total, len(shown))))
        zoomed = next((c for c in columns if c.has_class("-zoomed")), None)
        with self.app.batch_update():
            self.set_class(at.pages > 1 and zoomed is None, "-paged")
            key = self.app.key_for  # type: ignore[attr-defined]  # the arena app: keys as bound now
            self.query_one("#replay-pages", Static).update(Text(at.strip(
                key("replay_next_column", "alt+right"), key("replay_prev_column", "alt+left"))))
            for column in columns:
                column.display = column is zoomed if zoomed is not None else column in shown
                if column is zoomed:
                    column.styles.width = "1fr"
                elif column in shown:
                    column.styles.width = widths[column]

    def action_focus_column(self, step: int) -> None:
        """Focus the next (previous) column, turning the page when it is on another one."""
        columns = [c for c in self._columns if c.is_attached]
        if not columns:
            return
        current = self.focused.parent if self.focused is not None else None  # a column's text has the focus
        idx = columns.index(current) if current in columns else -1
        nxt = columns[(idx + step) % len(columns)] if idx >= 0 else columns[0 if step > 0 else -1]
        for column in columns:
            column.remove_class("-zoomed")
        self._anchor = nxt
        self._layout_columns()
        nxt.body.focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self._layout_columns)

    def _draw_status(self) -> None:
        c = self.control
        if self.error:
            state, style = f"cannot replay: {self.error}", "bold red"
        elif self.finished and not self.view.run_order:
            state, style = "■ this session has no runs", "bold"
        elif self.finished:
            state, style = "■ finished", "bold"
        elif c.paused:
            state, style = "❚❚ paused", "bold yellow"
        else:
            state, style = "▶ playing", "bold green"
        speed = "instant" if c.instant else f"{c.speed:g}x"
        order = self.view.run_order
        shown = order.index(self._shown_run) + 1 if self._shown_run in order else 0
        text = Text()
        text.append(state, style=style)
        text.append(f" · {speed} · run {shown}/{c.run_count or len(order)}")
        if not self.follow:
            text.append(" (browsing: . to catch up)", style="dim")
        text.append(" · ")
        text.append(self.title_text, style="bold")
        self.query_one("#replay-status", Static).update(text)

    def _draw_notes(self) -> None:
        run_id = self._shown_run
        text = Text()
        if run_id is not None:
            for col in self.columns():
                for s in self.view.scores.get(col.response_id, []):
                    if text:
                        text.append(" · ")
                    verdict = {True: "pass", False: "FAIL", None: ""}[s.passed]
                    value = "" if s.score is None else f" {s.score:.3g}"
                    text.append(f"{col.model} {s.scorer} ")
                    text.append(f"{verdict}{value}".strip() or "—", style="green" if s.passed else "red" if s.passed is False else "")
            for v in self.view.votes:
                if v.run_id == run_id:
                    if text:
                        text.append("\n")
                    outcome = {"a": f"{v.model_a} wins", "b": f"{v.model_b} wins", "tie": "tie",
                               "both_bad": "both bad"}.get(v.outcome, v.outcome)
                    text.append(f"vote: A = {v.model_a}, B = {v.model_b} → {outcome}")
        self.query_one("#replay-notes", Static).update(text)

    # -- keys --------------------------------------------------------------------------------------
    def action_pause(self) -> None:
        if self.finished:
            self.notify("the replay has finished", timeout=2)
            return
        self.control.toggle_pause()
        self._dirty = True

    def action_speed(self, speed: float) -> None:
        self.control.instant = False
        self.control.set_speed(float(speed))
        self._dirty = True

    def action_instant(self) -> None:
        self.control.instant = True
        self.control.changed += 1
        if self.control.paused:
            self.control.resume()
        self._dirty = True

    def action_step(self) -> None:
        if self.finished:
            self.notify("the replay has finished", timeout=2)
            return
        self.follow = True
        self.control.step()
        self._dirty = True

    def action_browse(self, step: int) -> None:
        order = self.view.run_order
        if not order:
            return
        idx = order.index(self._shown_run) if self._shown_run in order else len(order) - 1
        idx = max(0, min(len(order) - 1, idx + step))
        self.follow = idx == len(order) - 1
        if order[idx] != self._want_run:
            self.drawn.clear()  # until that run is on screen
        self._want_run = order[idx]
        self._dirty = True

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_output_column_action(self, message: OutputColumn.Action) -> None:
        column, action = message.column, message.action
        message.stop()
        if action == "copy":
            col = self.view.columns.get(column.response_id)
            text = col.text if col is not None else ""
            self.app.copy_to_clipboard(text)
            self.notify(f"copied {len(text):,} characters from {column.model}", timeout=2, markup=False)
        elif action == "cancel":
            self.action_back()
        elif action == "rerun":
            rerun = self.app.key_for("sessions_rerun", "R")  # type: ignore[attr-defined]  # the arena app
            self.notify(f"a replay never calls a model: re-run the session from the sessions screen ({rerun})",
                        severity="warning", timeout=4)
        elif action == "zoom":
            zoom = not column.has_class("-zoomed")
            for other in self._columns:
                other.remove_class("-zoomed")
                other.display = not zoom or other is column
            column.set_class(zoom, "-zoomed")
            self._anchor = column  # unzoomed, the page is the one that holds it
            self.call_after_refresh(self._layout_columns)
