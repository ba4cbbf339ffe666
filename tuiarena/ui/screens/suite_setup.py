"""The suite screen's setup tab: which suite (shipped, or a file), which models, judge, repeat, cache.

The models come from the compare screen's roster (its selection is the starting selection here);
until discovery has filled the roster, the list retries every half second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    OptionList,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.option_list import Option

from tuiarena import fmt
from tuiarena.engine.suite.load import demo_judge
from tuiarena.errors import UserError
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.screens.suite_widgets import suite_info, suite_label
from tuiarena.ui.widgets.checklist import CheckList, TickBox


class SuiteSetup(Horizontal):
    DEFAULT_CSS = """
    SuiteSetup { height: 1fr; }
    SuiteSetup #suites-box { width: 32; height: 1fr; border: round $panel-lighten-2; }
    SuiteSetup #suites-box:focus-within { border: round $primary; }
    SuiteSetup #suites { height: 1fr; border: none; padding: 0; background: transparent; }
    SuiteSetup #suite-path { height: 1; margin: 0 1; }
    SuiteSetup #run-box { width: 1fr; height: 1fr; }
    SuiteSetup #suite-info-box { height: auto; max-height: 10; border: round $panel-lighten-2;
                                 scrollbar-size-vertical: 1; }
    SuiteSetup #suite-info-box:focus { border: round $primary; }
    SuiteSetup #suite-info { height: auto; padding: 0 1; }
    SuiteSetup #models { width: 100%; height: 1fr; min-height: 3; border: round $panel-lighten-2; padding: 0; }
    SuiteSetup #models:focus { border: round $primary; }
    SuiteSetup #options { height: 1; margin: 0 1; }
    SuiteSetup #options Label { padding: 0 1 0 0; color: $text-muted; }
    SuiteSetup #judge { width: 1fr; max-width: 40; }
    SuiteSetup #repeat { width: 7; margin: 0 1 0 0; }
    SuiteSetup #warn { height: auto; padding: 0 1; color: $warning; }
    """

    class RunRequested(Message):
        """Enter in the repeat box: run now."""

    def __init__(self, initial: str | Path | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.initial = initial
        self.suites: dict[str, Any] = {}  # option id (path) -> Suite, or the error text of a broken file
        self.suite: Any = None
        self.listed = Milestone("the suites listed")  # the shipped ones, the first one described

    def compose(self) -> ComposeResult:
        with Vertical(id="suites-box"):
            yield OptionList(id="suites")
            yield Input(placeholder="suite file path, Enter loads", id="suite-path", compact=True)
        with Vertical(id="run-box"):
            with VerticalScroll(id="suite-info-box"):
                yield Static(Text("Loading suites…"), id="suite-info")
            yield CheckList[str](id="models")  # [x] / [ ]: not by colour alone
            with Horizontal(id="options"):
                yield Label("judge")
                yield Select[str]([], prompt="no judge", id="judge", compact=True)
                yield Label(" repeat")
                yield Input("1", type="integer", max_length=3, id="repeat", compact=True)
                yield TickBox("cache", id="cache", compact=True)  # [x] / [ ] too
            yield Static(id="warn")

    def on_mount(self) -> None:
        self.query_one("#models", SelectionList).border_title = "models (space toggles)"
        self.query_one("#suites-box").border_title = "suites"
        self.query_one("#suite-info-box").border_title = "suite"
        self.fill_models()
        self.load_shipped()

    # -- what the screen reads -------------------------------------------------------------------------
    def selected_models(self) -> list[str]:
        return list(self.query_one("#models", SelectionList).selected)

    def judge_model(self) -> str | None:
        value = self.query_one("#judge", Select).value
        return value if isinstance(value, str) and value else None

    def repeat(self) -> int | None:
        raw = self.query_one("#repeat", Input).value.strip() or "1"
        return int(raw) if raw.isdigit() and 1 <= int(raw) <= 100 else None

    def problem(self) -> str | None:
        """Why the suite cannot run as set up (no suite, no model, a bad repeat), or None."""
        if self.suite is None:
            return "choose a suite first (the list on the left, or a file path)"
        if not self.selected_models():
            return "select at least one model (space in the models list)"
        if self.repeat() is None:
            return "repeat must be a whole number from 1 to 100"
        return None

    @property
    def cache(self) -> bool:
        return self.query_one("#cache", Checkbox).value

    def selectable(self) -> list[str]:
        models = self.query_one("#models", SelectionList)
        return [models.get_option_at_index(i).value for i in range(models.option_count)]

    # -- models (from the compare screen's roster) -------------------------------------------------------
    def _roster(self) -> tuple[list[str], list[str]]:
        screen = getattr(self.app, "compare_screen", None)
        if screen is not None:
            from tuiarena.ui.widgets.roster import Roster

            roster = screen.query_one(Roster)
            return list(roster.entries), list(roster.selected)
        selected = list(self.app.config.ui.selected)  # type: ignore[attr-defined]  # the arena app
        return selected, selected

    def fill_models(self) -> None:
        known, selected = self._roster()
        models = self.query_one("#models", SelectionList)
        if self.selectable() == known and known:
            return
        current = set(models.selected) if models.option_count else set(selected)
        models.clear_options()
        models.add_options([(Text(fmt.visible(m)), m, m in current) for m in known])
        judge = self.query_one("#judge", Select)
        value = judge.value
        judge.set_options([(Text(fmt.visible(m)), m) for m in known])
        if value in known:
            judge.value = value
        elif self.suite is not None and self.suite.judge.model in known:
            judge.value = self.suite.judge.model
        if not known:
            self.set_timer(0.5, self.fill_models)  # discovery still running
        self.update_warning()

    def update_warning(self) -> None:
        notes = []
        judge = self.judge_model()
        if judge and judge in self.selected_models():
            notes.append(f"⚠ the judge {judge} is also a candidate: it may favour its own answers")
        if judge and judge.startswith("demo/") and any(not m.startswith("demo/") for m in self.selected_models()):
            notes.append(f"⚠ {judge} only simulates grades: pick a real judge for real models")
        if self.suite is not None:
            wanted = self.suite.judge.model
            if wanted and wanted not in self.selectable():
                notes.append(f"⚠ the suite's judge {wanted} is not in the roster: pick another or none")
            if "min_judge_score" in self.suite.requirements and not judge:
                notes.append("⚠ min_judge_score is set but there is no judge: it cannot be met")
        self.query_one("#warn", Static).update(Text("\n".join(fmt.visible(n) for n in notes)))

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        self.update_warning()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.update_warning()

    # -- suites -------------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="suite-list", exit_on_error=False)
    def load_shipped(self) -> None:
        from tuiarena.engine.suite.load import load_suite, shipped_suites

        found: dict[str, Any] = {}
        paths = list(shipped_suites())
        if self.initial is not None:
            paths.insert(0, Path(self.initial))
        for p in paths:
            try:
                found[str(p)] = load_suite(p)
            except UserError as exc:
                found[str(p)] = str(exc)
        self.app.call_from_thread(self._show_suites, found)

    def _show_suites(self, found: dict[str, Any]) -> None:
        self.suites = {**found, **self.suites}
        olist = self.query_one("#suites", OptionList)
        olist.clear_options()
        for key, value in self.suites.items():
            broken = isinstance(value, str)
            olist.add_option(Option(suite_label(Path(key).stem if broken else value.name, None if broken else value,
                                                value if broken else None), id=key))
        if self.suites:
            olist.highlighted = 0
            self.choose(next(iter(self.suites)))
        else:
            self.query_one("#suite-info", Static).update(Text("No shipped suites found: give a suite file path below."))
        self.listed.reach()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "suites" and event.option.id:
            self.choose(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "suites":
            self.query_one("#models", SelectionList).focus()

    def choose(self, key: str) -> None:
        value = self.suites.get(key)
        info = self.query_one("#suite-info", Static)
        if isinstance(value, str) or value is None:
            self.suite = None
            info.update(Text(fmt.visible(value or key), style="red"))
            self.update_warning()
            return
        self.suite = value
        info.update(suite_info(value))
        if value.judge.model and value.judge.model in self.selectable():
            self.query_one("#judge", Select).value = value.judge.model
        elif self.judge_model() is None and (j := demo_judge(value, self.selected_models())) in self.selectable():
            self.query_one("#judge", Select).value = j  # offline, as `tuiarena suite`: a simulated judge
        self.update_warning()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "suite-path":
            event.stop()
            self.open_path(event.value)
        elif event.input.id == "repeat":
            event.stop()
            self.post_message(self.RunRequested())

    def open_path(self, raw: str) -> bool:
        from tuiarena.engine.suite.load import load_suite

        raw = raw.strip()
        if not raw:
            return False
        try:
            suite = load_suite(raw)
        except UserError as exc:
            self.notify(str(exc), severity="error", markup=False, timeout=8)
            return False
        key = str(suite.path)
        self.suites[key] = suite
        olist = self.query_one("#suites", OptionList)
        if key not in {olist.get_option_at_index(i).id for i in range(olist.option_count)}:
            olist.add_option(Option(suite_label(suite.name, suite), id=key))
        olist.highlighted = olist.get_option_index(key)
        self.choose(key)
        return True
