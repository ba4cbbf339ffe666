"""The help screen: every binding of the app, generated from the BINDINGS themselves (after the
user's ``[keys]`` keymap), so it can never drift from what the keys really do."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

# where each set of keys applies: (label, module, class); imported lazily, all in one list so the
# help can never go stale when a screen gains a key
KEY_PLACES = (
    ("compare", "tuiarena.ui.screens.compare", "CompareScreen"),
    ("output column", "tuiarena.ui.widgets.column", "OutputColumn"),
    ("column text", "tuiarena.ui.widgets.streamtext", "LiveText"),
    ("models list", "tuiarena.ui.widgets.roster", "RosterList"),
    ("results grid", "tuiarena.ui.widgets.results", "ResultsGrid"),
    ("blind arena", "tuiarena.ui.screens.blind", "BlindScreen"),
    ("leaderboard", "tuiarena.ui.screens.leaderboard", "LeaderboardScreen"),
    ("suite", "tuiarena.ui.screens.suite", "SuiteScreen"),
    ("suite cell", "tuiarena.ui.screens.suite_detail", "CellDetailScreen"),
    ("sessions", "tuiarena.ui.screens.sessions", "SessionsScreen"),
    ("replay", "tuiarena.ui.screens.replay", "ReplayScreen"),
    ("diff", "tuiarena.ui.screens.diff", "DiffScreen"),
    ("history", "tuiarena.ui.screens.history", "HistoryScreen"),
)


def binding_rows(app) -> list[tuple[str, str, str, str]]:
    """(where, key, description, binding id) for every Binding with an id."""
    import importlib

    places = [("anywhere", type(app))]
    for where, module, name in KEY_PLACES:
        try:
            places.append((where, getattr(importlib.import_module(module), name)))
        except (ImportError, AttributeError):
            continue
    keymap = getattr(app, "_keymap", {}) or {}
    rows = []
    seen: set[tuple[str, str]] = set()
    for where, cls in places:
        for b in cls.BINDINGS:
            if not isinstance(b, Binding) or not b.id or (where, b.id) in seen:
                continue
            seen.add((where, b.id))
            keys = keymap.get(b.id, b.key)
            shown = ", ".join(app.get_key_display(Binding(k.strip(), b.action)) for k in keys.split(","))
            rows.append((where, shown, b.tooltip or b.description or b.action, b.id))
    return rows


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 100%; max-width: 100; height: 90%; border: round $primary; background: $surface; }
    HelpScreen Static { padding: 0 1; color: $text-muted; height: auto; }
    HelpScreen DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical():
            palette = self.app.get_key_display(Binding(self.app.COMMAND_PALETTE_BINDING, ""))
            yield Static(Text("Keys (rebind any of them in config.toml: [keys] binding_id = \"key\"). "
                              f"{palette}: every action by name. Esc closes."))
            yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in ("Key", "Action", "Binding id"):
            table.add_column(title)
        place = None
        for where, key, action, binding_id in binding_rows(self.app):
            if where != place:  # a heading row per place, so the binding ids fit at 80 columns
                place = where
                table.add_row(Text(where, style="bold"), Text(""), Text(""))
            table.add_row(Text(f" {key}"), Text(action), Text(binding_id))
        table.focus()
