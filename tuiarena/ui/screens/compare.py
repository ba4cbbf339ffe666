"""The compare screen: roster, prompt editor, output columns side by side, results grid.

Events from the runner are folded into a ViewState by :meth:`on_event` (cheap, no widget work);
a timer redraws the columns whose ``version`` moved, inside ``app.batch_update()``.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import AwaitMount
from textual.widgets import Header, Input, Static, TextArea

from tuiarena.engine.run.runner import build_messages
from tuiarena.engine.run.state import ColumnState, ViewState, apply, concerns
from tuiarena.model import Event, Params, ResponseDone, RunStarted, new_id
from tuiarena.ui.screens.compare_frames import ColumnsArea
from tuiarena.ui.screens.compare_turns import CompareTurns, earlier_turns
from tuiarena.ui.type_ahead import TypeAhead, TypeAheadKeys
from tuiarena.ui.widgets.column import OutputColumn
from tuiarena.ui.widgets.keybar import KeyBar
from tuiarena.ui.widgets.prompt import PromptEditor
from tuiarena.ui.widgets.results import ResultsGrid
from tuiarena.ui.widgets.roster import Roster


class CompareScreen(TypeAheadKeys, CompareTurns):
    AUTO_FOCUS = "#user"  # focused while composing: a later focus change would restyle the screen
    DEFAULT_CSS = """
    CompareScreen #top { height: 1fr; }
    CompareScreen #work { width: 1fr; }
    CompareScreen.-no-roster Roster { display: none; }
    CompareScreen.-narrow Roster { width: 24; }
    CompareScreen #columns { height: 1fr; min-height: 5; }
    CompareScreen #pages { height: 1; padding: 0 1; color: $text-muted; display: none; }
    CompareScreen.-paged #pages { display: block; }
    CompareScreen.-zoom #pages { display: none; }
    CompareScreen #columns-empty { width: 1fr; height: 1fr; color: $text-muted; padding: 1 2; }
    CompareScreen.-zoom Roster, CompareScreen.-zoom PromptEditor, CompareScreen.-zoom ResultsGrid { display: none; }
    CompareScreen.-zoom OutputColumn { display: none; }
    CompareScreen.-zoom OutputColumn.-zoomed { display: block; width: 1fr; }
    CompareScreen ResultsGrid.-empty { display: none; }
    """

    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="run"),
        Binding("ctrl+g", "cancel_all", "Cancel all", id="cancel_all"),
        Binding("ctrl+l", "new_conversation", "New chat", id="new_conversation"),
        Binding("f5", "turns", "Turns", id="turns", show=False),
        Binding("ctrl+t", "toggle_roster", "Models", id="toggle_roster"),
        Binding("ctrl+up", "history(-1)", "Older prompt", id="history_prev", show=False),
        Binding("ctrl+down", "history(1)", "Newer prompt", id="history_next", show=False),
        Binding("alt+right,right_square_bracket", "focus_column(1)", "Next column", id="next_column", show=False),
        Binding("alt+left,left_square_bracket", "focus_column(-1)", "Previous column", id="prev_column", show=False),
        # priority: the prompt's text box would take f6 (select line) first
        Binding("f6", "toggle_system", "System prompt", id="toggle_system", show=False, priority=True),
        Binding("ctrl+o", "edit_in_editor", "Edit in $EDITOR", id="edit_in_editor", show=False, priority=True),
        Binding("f3", "focus_prompt", "Prompt", id="focus_prompt", show=False),
        Binding("f4", "focus_results", "Results", id="focus_results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        # f3 or the models list's "/" then typing at once: the keys go to the box (ui/type_ahead.py)
        self.type_ahead = TypeAhead(self, {"focus_prompt": "#user", "filter": "Roster Input"})
        self.view = ViewState()
        self.run_ids: set[str] = set()
        self.current_run_id: str | None = None
        self.conversation: list[str] = []  # run ids of the current conversation, oldest first
        self._dirty = False
        self._live = False
        self._zoomed: OutputColumn | None = None
        self.page = 0  # which page of answers is on screen when they do not all fit
        self._anchor: OutputColumn | None = None  # the column each layout keeps on screen
        self._grid_at = 0.0
        self._grid_states: tuple = ()
        self._grid_finals: tuple = ()
        self._column_width = 0  # each column's width as laid out (0: not yet)
        self._frame_soon = False
        self._grid_held = 0.0  # since when columns that just ended are being painted (the grid waits)

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        cfg = self.app.config
        yield Header(show_clock=False, icon="⚖")
        if self.app.size.width < 100:  # classes decided here, not after mounting: each change restyles
            self.add_class("-narrow")
        with Horizontal(id="top"):
            yield Roster(cfg.ui.selected, id="roster")
            with Vertical(id="work"):
                short = self.app.size.height < 30  # short terminal: the system prompt box waits for f6
                yield PromptEditor(cfg.defaults, cfg.ui.history, id="prompt", classes="-no-system" if short else None)
                yield Static("", id="pages")
                with ColumnsArea(id="columns"):
                    yield Static(self.empty_hint(), id="columns-empty")
        yield ResultsGrid(mask_timings=self.app.options.mask_timings, id="results", classes="-empty")
        yield KeyBar()

    def empty_hint(self) -> Text:
        key = self.app.key_for
        return Text(f"Pick models on the left (space), write a prompt, press {key('run', 'ctrl+r')}.\n"
                    f"{key('help', 'f1')} shows every key · {key('command_palette', 'ctrl+p')} the command palette · "
                    f"{key('open_blind', 'f7')} blind arena · {key('open_sessions', 'f9')} sessions.")

    def keys_changed(self) -> None:
        """The keymap changed: hints that name keys are written again."""
        if not self.query(PromptEditor):  # not composed yet: on_mount writes them
            return
        for hint in self.query("#columns-empty").results(Static):
            hint.update(self.empty_hint())
        self.query_one(PromptEditor).set_hint(self.app.key_for)

    def on_mount(self) -> None:
        if not self.app.options.cursor_blink:
            for area in self.query(TextArea):
                area.cursor_blink = False
            for field in self.query(Input):
                field.cursor_blink = False
        self.app.add_listener(self.fold_event)
        self.sub_title = f"compare · {self.app.sub_title}"
        self.keys_changed()
        # the frame timer sleeps while nothing streams (an idle app must not wake 20 times a second)
        self._frame_timer = self.set_interval(1 / max(self.app.options.frame_hz, 1), self.frame)

    def on_unmount(self) -> None:
        self.app.remove_listener(self.fold_event)

    # -- events -> view state (cheap; called for every event) -------------------------------------
    def fold_event(self, event: Event) -> None:
        if not concerns(self.view, self.run_ids, event):
            return
        apply(self.view, event)
        self.wake()
        if type(event) is ResponseDone:
            self.app.call_later(self._response_done, event)
            if not self._frame_soon:  # an ended stream is drawn at once, not at the next tick
                self._frame_soon = True
                self.call_later(self.frame)

    def _response_done(self, event: ResponseDone) -> None:
        if event.error_kind == "auth":
            self.notify(f"{event.model}: {event.error}", severity="error", markup=False, timeout=8)

    # -- runs ------------------------------------------------------------------------------------
    def action_run(self) -> None:
        app = self.app
        if app.runner is None:
            self.notify("still discovering models — try again in a moment", severity="warning")
            return
        roster = self.query_one(Roster)
        models = [m for m in roster.selected if m in roster.entries] or list(roster.selected)
        if not models:
            self.notify("select at least one model: focus the roster (left) and press space", severity="warning")
            return
        editor = self.query_one(PromptEditor)
        user = editor.user_text
        if not user.strip():
            self.notify("write a prompt first", severity="warning")
            return
        try:
            params = editor.params()
        except ValueError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.start_run(models, editor.messages(), params)
        editor.remember(user)
        app.remember_prompt(user)
        editor.user_text = ""
        editor.set_turn(len(self.conversation) + 1)

    def start_run(self, models: list[str], messages: list[dict], params: Params) -> str:
        app = self.app
        app.session_writer(name=next((m["content"] for m in messages if m["role"] == "user"), "")[:60])
        history = self.conversation_history(models)
        run_id = new_id("r")
        self.run_ids.add(run_id)
        self.current_run_id = run_id
        self.conversation.append(run_id)
        response_ids = {m: new_id("x") for m in models}
        mounted = self._mount_columns(response_ids, history)

        def launch() -> None:
            runner = app.runner
            if runner is None:  # the engine was shut down meanwhile
                return
            runner.start_run(models, messages, params, history=history, run_id=run_id, response_ids=response_ids)
            self._live = True
            self.wake()

        async def when_painted() -> None:
            # Mounting and the first paint of the columns block the event loop for a while: send the
            # requests after them, so no token waits behind the UI and the timings stay the server's.
            await mounted
            self.layout_columns()  # the new columns' widths: one layout now, none once tokens flow
            self.call_after_refresh(self.call_after_refresh, launch)

        self.run_worker(when_painted(), group="launch", exit_on_error=False)
        return run_id

    def load_events(self, events: list[Event]) -> None:
        """Show recorded events (a saved session, or a test's fixed script) as if they were live."""
        for event in events:
            if type(event) is RunStarted:
                history = self.conversation_history(list(event.response_ids))
                self.run_ids.add(event.run_id)
                self.current_run_id = event.run_id
                self.conversation.append(event.run_id)
                self.fold_event(event)
                self._mount_columns(event.response_ids, history)
            else:
                self.fold_event(event)
        self.wake()

    def conversation_history(self, models: list[str]) -> dict[str, list[dict]]:
        """Each model's own earlier turns in this conversation (only answers that completed)."""
        out: dict[str, list[dict]] = {}
        for run_id in self.conversation:
            run = self.view.runs.get(run_id)
            if run is None:  # not sent yet
                continue
            turn_user = [m for m in run.messages if m.get("role") != "system"]
            for model in models:
                col = self.view.columns.get(run.response_ids.get(model, ""))
                if col is not None and col.status == "done":
                    out.setdefault(model, []).extend(turn_user + [{"role": "assistant", "content": col.text}])
        return out

    def _mount_columns(self, response_ids: dict[str, str],
                       history: dict[str, list[dict[str, str]]] | None = None) -> AwaitMount:
        area = self.query_one("#columns", Horizontal)
        self._unzoom()
        self.page, self._anchor = 0, None  # each run starts at its first answers
        with self.app.batch_update():
            area.remove_children()
            mask, n = self.app.options.mask_timings, len(response_ids)
            history = history or {}
            mounted = area.mount_all([OutputColumn(rid, model, mask_timings=mask, jump_phase=i / n,
                                                   earlier=earlier_turns(history.get(model, [])))
                                      for i, (model, rid) in enumerate(response_ids.items())])
            grid = self.query_one(ResultsGrid)
            grid.reset()
            grid.remove_class("-empty")
            # rows exist before the first token, so streaming never changes the grid's height
            grid.sync([ColumnState(run_id="", response_id=rid, model=model) for model, rid in response_ids.items()])
        self.call_after_refresh(self.layout_columns)
        return mounted

    def action_toggle_system(self) -> None:
        editor = self.query_one(PromptEditor)
        editor.toggle_class("-no-system")
        if not editor.has_class("-no-system"):
            editor.query_one("#system").focus()

    def rerun(self, column: OutputColumn) -> None:
        run = self.view.runs.get(self.current_run_id or "")
        app = self.app
        if run is None or app.runner is None:
            return
        model = column.model
        old = run.response_ids.get(model)
        if old in app.runner.active:
            app.runner.cancel(old)
        rid = new_id("x")
        run.response_ids[model] = rid  # the column now shows the new response
        self.query_one(ResultsGrid).remove_response(old or "")
        column.reset(rid, model)
        messages = build_messages(run.messages, run.history.get(model))
        params = Params.from_dict(run.params)
        self.run_worker(app.runner.respond_one(run.run_id, rid, model, messages, params), group="rerun")
        self._live = True
        self.wake()

    # -- column actions --------------------------------------------------------------------------
    def on_output_column_action(self, message: OutputColumn.Action) -> None:
        column, action = message.column, message.action
        runner = self.app.runner
        if action == "cancel":
            if runner is not None and runner.cancel(column.response_id):
                self.notify(f"cancelled {column.model}", timeout=2, markup=False)
            elif self._zoomed is not None:
                self._unzoom()
        elif action == "rerun":
            self.rerun(column)
        elif action == "copy":
            col = self.view.columns.get(column.response_id)
            text = col.text if col is not None else ""
            self.app.copy_to_clipboard(text)
            self.notify(f"copied {len(text):,} characters from {column.model}", timeout=2, markup=False)
        elif action == "zoom":
            if self._zoomed is column:
                self._unzoom()
            else:
                self._unzoom()
                self._zoomed = column
                column.add_class("-zoomed")
                self.add_class("-zoom")
                column.body.focus()
                self.call_after_refresh(self.layout_columns)

    def _unzoom(self) -> None:
        if self._zoomed is not None:
            column, self._zoomed = self._zoomed, None
            column.remove_class("-zoomed")
            self.show_column(column)  # back on the page that holds the column just zoomed
        self.remove_class("-zoom")

    def focused_column(self) -> OutputColumn | None:
        node = self.focused
        while node is not None and not isinstance(node, OutputColumn):
            node = node.parent  # type: ignore[assignment]
        if node is None:
            columns = list(self.query(OutputColumn))
            return columns[0] if columns else None
        return node

    def column_action(self, action: str) -> None:
        """For the palette: act on the focused (or first) column."""
        column = self.focused_column()
        if column is None:
            self.notify("no output column yet: run a prompt first", severity="warning")
            return
        self.on_output_column_action(OutputColumn.Action(column, action))

    def action_cancel_all(self) -> None:
        runner = self.app.runner
        n = 0
        if runner is not None:
            for rid in list(runner.active):
                if rid in self.view.columns:
                    n += runner.cancel(rid)
        self.notify(f"cancelled {n} stream{'s' if n != 1 else ''}" if n else "nothing is running", timeout=2)

    def action_new_conversation(self) -> None:
        self.conversation = []
        editor = self.query_one(PromptEditor)
        editor.set_turn(1)
        self.notify("new conversation: the next prompt starts fresh", timeout=2)

    def action_toggle_roster(self) -> None:
        self.toggle_class("-no-roster")
        self.call_after_refresh(self.layout_columns)
        if not self.has_class("-no-roster"):
            self.query_one("RosterList").focus()

    def action_history(self, step: int) -> None:
        editor = self.query_one(PromptEditor)
        if not editor.history_step(step):
            self.app.bell()
        editor.focus_user()

    def action_focus_column(self, step: int) -> None:
        columns = list(self.query(OutputColumn))
        if not columns:
            return
        current = self.focused.parent if self.focused is not None else None  # a column's text has the focus
        idx = columns.index(current) if current in columns else -1
        nxt = columns[(idx + step) % len(columns)] if idx >= 0 else columns[0 if step > 0 else -1]
        if self._zoomed is not None:
            self._unzoom()
        self.show_column(nxt)
        nxt.body.focus()

    def action_edit_in_editor(self) -> None:
        """The prompt in ``$VISUAL`` / ``$EDITOR`` (the app steps aside meanwhile)."""
        from tuiarena.ui.editor import edit_text

        editor = self.query_one(PromptEditor)
        text, problem = edit_text(self.app, editor.user_text)
        if problem:
            self.notify(problem, severity="error", markup=False)
        elif text is not None:
            editor.user_text = text.rstrip("\n")
        editor.focus_user()

    def action_focus_prompt(self) -> None:
        self.query_one(PromptEditor).focus_user()

    def action_focus_results(self) -> None:
        self.query_one(ResultsGrid).focus()

    # -- roster ------------------------------------------------------------------------------------
    def on_roster_changed(self, message: Roster.Changed) -> None:
        self.app.save_selection(message.selected)

    def action_filter_models(self) -> None:
        self.remove_class("-no-roster")
        self.query_one(Roster).open_filter()

    def action_sort_results(self) -> None:
        self.query_one(ResultsGrid).action_cycle_sort()

    def current_columns(self) -> list[ColumnState]:
        run = self.view.runs.get(self.current_run_id or "")
        return self.view.columns_of(run.run_id) if run else []
