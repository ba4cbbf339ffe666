"""The sessions screen: every saved session, newest first; open, replay, rename, delete, export,
re-run (against the session's own models, or those picked on the compare screen), diff a re-run with its original, per-model history.

The list comes from :func:`tuiarena.store.sessions.list_sessions` (cheap, index-cached) in a thread
worker, so the screen paints at once. Names and prompts are user / model text: always ``Text``.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from tuiarena import fmt
from tuiarena.errors import UserError
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.screens.sessions_actions import SessionActions
from tuiarena.ui.type_ahead import TypeAhead, TypeAheadKeys
from tuiarena.ui.widgets.keybar import KeyBar

COLUMNS = (("date", "Date"), ("name", "Name"), ("kind", "Kind"), ("models", "Models"), ("runs", "Runs"),
           ("votes", "Votes"), ("cost", "Cost"))
RIGHT = {"runs", "votes", "cost"}
FILTER_DELAY_S = 0.12


def _short_models(models: list[str], limit: int = 34) -> str:
    text = ", ".join(models)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class SessionsScreen(TypeAheadKeys, SessionActions):
    DEFAULT_CSS = """
    SessionsScreen #sessions-filter { display: none; height: 1; border: none; margin: 0 1; }
    SessionsScreen.-filtering #sessions-filter { display: block; }
    SessionsScreen #sessions-status { height: 1; padding: 0 1; color: $text-muted; }
    SessionsScreen #sessions-table { height: 1fr; }
    SessionsScreen #sessions-detail { height: auto; max-height: 4; padding: 0 1; color: $text-muted;
                                      border-top: solid $panel-lighten-2; }
    """

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="sessions_filter"),
        Binding("enter", "open", "Open", id="sessions_open", show=False),
        Binding("p", "replay", "Replay", id="sessions_replay"),
        Binding("r", "rename", "Rename", id="sessions_rename"),
        Binding("d", "delete", "Delete", id="sessions_delete"),
        Binding("e", "export", "Export", id="sessions_export"),
        Binding("R", "rerun", "Re-run", id="sessions_rerun"),
        Binding("M", "rerun_selected", "Re-run: picked", id="sessions_rerun_selected", show=False),
        Binding("D", "diff", "Diff", id="sessions_diff"),
        Binding("h", "history", "History", id="sessions_history"),
        Binding("f5", "refresh", "Refresh", id="sessions_refresh", show=False),
        Binding("escape,q", "back", "Back", id="sessions_back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list = []  # every SessionSummary, newest first
        self.unreadable: list = []  # summaries of files that are not readable sessions (with .error)
        self.shown: list = []  # after the filter
        self.filter_text = ""
        self.loaded = Milestone("the sessions listed")  # cleared while a reload reads them anew
        self.filtered = Milestone("the filter applied")  # cleared while typing, until the list is refilled
        self.rerunning = False
        self._select_after_load: str | None = None
        self._widths: dict[str, int] = {}
        self._filter_timer: Timer | None = None
        self.type_ahead = TypeAhead(self, {"filter": "#sessions-filter"})

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⚖")
        yield Input(placeholder="filter: name, id, kind, model or prompt (Enter keeps, Esc clears)",
                    id="sessions-filter", compact=True)
        yield Static(Text("Reading sessions…"), id="sessions-status")
        yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="sessions-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "sessions"
        self.query_one("#sessions-table", DataTable).focus()
        self.load()

    def on_resize(self) -> None:
        if self.loaded and self._column_widths() != self._widths:
            self._fill()

    def _column_widths(self) -> dict[str, int]:
        """Name and models share what the fixed columns leave, so Runs / Votes / Cost stay visible at 80 columns."""
        fixed = {"date": 11, "kind": 7, "runs": 4, "votes": 5, "cost": 9}
        room = max(24, self.size.width - sum(fixed.values()) - 2 * len(COLUMNS) - 2)
        name = min(60, max(12, room * 11 // 20))
        return {**fixed, "name": name, "models": min(60, max(10, room - name))}

    # -- data ------------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the list anew: ``loaded`` is cleared now and reached once the new list is drawn (a
        rename, a delete or a re-run ends with this)."""
        self.loaded.clear()
        self._read()

    @work(thread=True, exclusive=True, group="sessions-list", exit_on_error=False)
    def _read(self) -> None:
        from tuiarena.store.sessions import list_sessions

        try:
            every = list_sessions(include_invalid=True)
        except Exception as exc:  # never leave the screen on "Reading sessions…"
            message = f"cannot list sessions: {exc}"
            self.app.call_from_thread(self.query_one("#sessions-status", Static).update, Text(message, style="bold red"))
            return
        self.app.call_from_thread(self._loaded, [s for s in every if s.error is None], [s for s in every if s.error])

    def _loaded(self, sessions: list, unreadable: list | None = None) -> None:
        self.sessions = sessions
        self.unreadable = unreadable or []
        self._fill()
        self.loaded.reach_after_refresh(self.query_one("#sessions-table"))

    def action_refresh(self) -> None:
        self.load()

    def _fill(self) -> None:
        table = self.query_one("#sessions-table", DataTable)
        keep = self._select_after_load or (str(self.current.path) if self.current is not None else None)
        self._select_after_load = None
        self.shown = [s for s in self.sessions if not self.filter_text or s.matches(self.filter_text)]
        widths = self._column_widths()
        if widths != self._widths:
            self._widths = widths
            table.clear(columns=True)
            for key, title in COLUMNS:
                table.add_column(Text(title, justify="right" if key in RIGHT else "left"), key=key, width=widths[key])
        table.clear()
        this_year = time.localtime().tm_year
        for s in self.shown:
            name = Text(fmt.visible(s.name), no_wrap=True, overflow="ellipsis") if s.name else \
                Text(fmt.visible(s.first_prompt) or s.session_id, style="dim italic", no_wrap=True, overflow="ellipsis")
            if s.parent_session:
                name = Text("↳ ") + name
            when = time.localtime(s.created)
            date = "?" if not s.created else time.strftime("%m-%d %H:%M" if when.tm_year == this_year else "%Y-%m-%d", when)
            table.add_row(
                Text(date), name, Text(s.kind or "?"), Text(_short_models(s.models, widths["models"])),
                Text(str(s.runs), justify="right"), Text(str(s.votes), justify="right"),
                Text(fmt.cost(s.cost_usd) if s.cost_usd is not None else fmt.DASH, justify="right"),
                key=str(s.path),
            )
        if keep is not None:
            for i, s in enumerate(self.shown):
                if str(s.path) == keep:
                    table.move_cursor(row=i)
                    break
        self._status()
        self._detail()
        applied = self.filter_text

        def drawn() -> None:  # (not if a key changed the filter since: its own refill reaches it)
            if self.filter_text == applied:
                self.filtered.reach()

        table.call_after_refresh(drawn)

    def _status(self) -> None:
        from tuiarena.store import paths

        total = len(self.sessions)
        if not total:
            text = f"No saved sessions yet (folder {paths.sessions_dir()}). Run a prompt on the compare screen."
        elif self.filter_text:
            text = f"{len(self.shown)} of {total} sessions match {self.filter_text!r}"
        else:
            key = self.app.key_for  # as bound now, after [keys]
            text = (f"{total} session{'s' if total != 1 else ''} · {key('sessions_open', 'enter')} opens · "
                    f"{key('sessions_replay', 'p')} replays · {key('sessions_rerun', 'R')} re-runs "
                    f"({key('sessions_rerun_selected', 'M')}: with the models picked)")
        bad = self.unreadable
        if bad:  # listed by name in `tuiarena sessions`; here the count and the first reason
            text += f" · {len(bad)} unreadable file{'s' if len(bad) != 1 else ''} skipped ({bad[0].path.name}: {bad[0].error})"
        if self.rerunning:
            text = "re-running… · " + text
        self.query_one("#sessions-status", Static).update(Text(text))

    @property
    def current(self):
        """The highlighted SessionSummary, or None."""
        table = self.query_one("#sessions-table", DataTable)
        if not self.shown or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def _detail(self) -> None:
        s = self.current
        box = self.query_one("#sessions-detail", Static)
        if s is None:
            box.update("")
            return
        text = Text()
        text.append(f"{s.session_id} · {s.path.name} · {s.responses} answers")
        if s.failed:
            text.append(f" ({s.failed} failed)", style="red")
        if s.parent_session:
            text.append(f" · re-run of {s.parent_session}")
        if s.models:
            text.append("\nmodels: " + ", ".join(s.models))
        if s.first_prompt:
            text.append("\n> ")
            text.append(fmt.visible(s.first_prompt))
        box.update(text)

    def _need(self):
        s = self.current
        if s is None:
            self.notify("no session selected", severity="warning")
        return s

    def _is_current_session(self, s) -> bool:
        writer = getattr(self.app, "_writer", None)
        return writer is not None and Path(writer.path) == Path(s.path)

    # -- filter ---------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one("#sessions-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "sessions-filter":
            self.filter_text = event.value.strip()
            self.filtered.clear()
            if self._filter_timer is not None:  # typing: refill once the keys pause
                self._filter_timer.stop()
            self._filter_timer = self.set_timer(FILTER_DELAY_S, self._fill)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "sessions-filter":
            if self._filter_timer is not None:
                self._filter_timer.stop()
            self.filter_text = event.value.strip()
            self._fill()
            if not self.filter_text:
                self.remove_class("-filtering")
            self.query_one("#sessions-table", DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#sessions-filter", Input)
        if self.has_class("-filtering") and (box.has_focus or self.filter_text):
            if self._filter_timer is not None:
                self._filter_timer.stop()
            box.value = ""
            self.filter_text = ""
            self.remove_class("-filtering")
            self._fill()
            self.query_one("#sessions-table", DataTable).focus()
            return
        self.app.pop_screen()

    # -- open / replay ------------------------------------------------------------------------------
    def action_open(self) -> None:
        if (s := self._need()) is not None:  # a suite reopens as it ended: matrix, summary, recommendation
            self.app.open_session(s.path)

    def action_replay(self) -> None:
        if (s := self._need()) is not None:
            from tuiarena.ui.screens.replay import ReplayScreen

            self.app.push_screen(ReplayScreen(s.path, speed=1.0))

    # -- rename / delete ----------------------------------------------------------------------------
    def action_rename(self) -> None:
        s = self._need()
        if s is None:
            return
        from tuiarena.ui.dialogs import TextPrompt

        def done(value: str | None) -> None:
            value = " ".join((value or "").split())
            if not value:
                return
            if self._is_current_session(s):
                self.app.rename_session(value)  # the app's own writer appends it (and the title follows)
            else:
                from tuiarena.store.sessions import rename_session

                try:
                    notice = rename_session(s.path, value)
                except (UserError, OSError) as exc:
                    self.notify(f"rename failed: {exc}", severity="error", markup=False)
                    return
                if notice:
                    self.notify(notice, severity="warning", markup=False)
            self.notify(f"renamed to {value}", timeout=3, markup=False)
            self._select_after_load = str(s.path)
            self.load()

        self.app.push_screen(TextPrompt("Rename session", s.name), done)

    def action_delete(self) -> None:
        s = self._need()
        if s is None:
            return
        if self._is_current_session(s):
            new = self.app.key_for("new_session", "ctrl+n")
            self.notify(f"this is the session being recorded: start a new one ({new}) before deleting it",
                        severity="warning", markup=False)
            return
        from tuiarena.ui.screens.session_dialogs import ConfirmDialog

        what = fmt.visible(s.name or s.first_prompt or s.session_id)
        question = (f"Delete session {what!r} ({s.kind}, {_n(s.runs, 'run')}, {_n(s.responses, 'answer')}, {_n(s.votes, 'vote')})?\n"
                    f"{s.path}\nThis cannot be undone.")

        def done(yes: bool | None) -> None:
            if not yes:
                return
            from tuiarena.store.sessions import delete_session

            try:
                delete_session(s.path)
            except (UserError, OSError) as exc:
                self.notify(f"delete failed: {exc}", severity="error", markup=False)
                return
            self.notify(f"deleted {s.path.name}", timeout=3, markup=False)
            self.sessions = [x for x in self.sessions if x.path != s.path]
            self._fill()
            self.load()

        self.app.push_screen(ConfirmDialog(question), done)

    # -- export ---------------------------------------------------------------------------------------
