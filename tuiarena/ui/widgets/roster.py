"""The roster: every discovered model, grouped by endpoint, with its price; space toggles one.

Built on OptionList so group headers can be plain (disabled) rows. Selection order is kept (it is
the order of the output columns). ``/`` opens a filter box; Esc or an empty filter closes it.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tuiarena import fmt


class RosterEntry:
    __slots__ = ("id", "endpoint", "model", "demo", "price")

    def __init__(self, model_id: str, endpoint: str, model: str, demo: bool = False, price=None) -> None:
        self.id, self.endpoint, self.model, self.demo, self.price = model_id, endpoint, model, demo, price


class RosterList(OptionList):
    BINDINGS = [
        Binding("space", "toggle", "Toggle model", id="toggle_model"),
        Binding("slash", "filter", "Filter", id="filter_models"),
    ]

    def action_toggle(self) -> None:  # type: ignore[override]  # a key action, not DOMNode.toggle
        option = self.highlighted_option
        if option is not None and option.id and not option.disabled:
            self.parent.toggle(option.id)  # type: ignore[union-attr]

    def action_filter(self) -> None:
        self.parent.open_filter()  # type: ignore[union-attr]


class Roster(Vertical):
    """Left-hand model picker. Posts :class:`Roster.Changed` when the selection changes."""

    DEFAULT_CSS = """
    Roster { width: 30; height: 1fr; border: round $panel-lighten-2; border-title-color: $text-muted; }
    Roster:focus-within { border: round $primary; }
    Roster > Input { display: none; height: 1; border: none; }
    Roster.-filtering > Input { display: block; }
    Roster > OptionList { height: 1fr; border: none; padding: 0; background: transparent; }
    Roster > .roster-status { height: auto; color: $text-muted; padding: 0 1; }
    """

    class Changed(Message):
        def __init__(self, selected: list[str]) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, selected: list[str] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: dict[str, RosterEntry] = {}
        self.selected: list[str] = list(selected or [])
        self.filter_text = ""
        self.status = "discovering models…"

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter models", compact=True)
        yield RosterList()
        yield Static(Text(self.status), classes="roster-status")

    def on_mount(self) -> None:
        self.border_title = "models"

    # -- content ------------------------------------------------------------------------------
    def set_models(self, entries: list[RosterEntry], status: str = "") -> None:
        self.entries = {e.id: e for e in entries}
        self.status = status
        self.query_one(".roster-status", Static).update(Text(status))
        self._rebuild()

    def set_status(self, status: str) -> None:
        self.status = status
        self.query_one(".roster-status", Static).update(Text(status))

    def _label(self, entry: RosterEntry) -> Text:
        mark = "[x] " if entry.id in self.selected else "[ ] "
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(mark, style="bold" if entry.id in self.selected else "dim")
        text.append(entry.model)
        if entry.price is not None:
            text.append(f" {fmt.price_per_m(entry.price.input_per_m)}/{fmt.price_per_m(entry.price.output_per_m)}",
                        style="dim")
        return text

    def _rebuild(self) -> None:
        olist = self.query_one(RosterList)
        highlighted = olist.highlighted_option.id if olist.highlighted_option else None
        needle = self.filter_text.lower()
        options: list[Option] = []
        groups: dict[str, list[RosterEntry]] = {}
        for entry in self.entries.values():
            if needle and needle not in entry.id.lower():
                continue
            groups.setdefault(entry.endpoint, []).append(entry)
        for endpoint in sorted(groups, key=lambda e: (e == "demo", e)):
            title = "demo (offline)" if endpoint == "demo" else endpoint
            options.append(Option(Text(title, style="bold underline"), id=f"::{endpoint}", disabled=True))
            options.extend(Option(self._label(e), id=e.id) for e in groups[endpoint])
        olist.set_options(options)
        if highlighted and any(o.id == highlighted for o in options):
            olist.highlighted = olist.get_option_index(highlighted)
        else:
            first = next((i for i, o in enumerate(options) if not o.disabled), None)
            olist.highlighted = first

    # -- selection -----------------------------------------------------------------------------
    def toggle(self, model_id: str) -> None:
        if model_id in self.selected:
            self.selected.remove(model_id)
        else:
            self.selected.append(model_id)
        self.query_one(RosterList).replace_option_prompt(model_id, self._label(self.entries[model_id]))
        self.post_message(self.Changed(list(self.selected)))

    def select(self, model_ids: list[str]) -> None:
        self.selected = [m for m in model_ids]
        self._rebuild()
        self.post_message(self.Changed(list(self.selected)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and not event.option.disabled:
            self.toggle(event.option.id)

    # -- filter --------------------------------------------------------------------------------
    def open_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(RosterList).focus()

    def key_escape(self) -> None:
        if self.has_class("-filtering"):
            self.query_one(Input).value = ""
            self.remove_class("-filtering")
            self.query_one(RosterList).focus()
