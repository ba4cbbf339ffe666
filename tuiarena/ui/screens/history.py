"""Per-model history: a sparkline per figure (pass rate, judge score, p95 latency, cost per answer)
over the saved sessions that used the model, oldest left. Figures from
:func:`tuiarena.engine.sessions.history.model_history`, computed in a thread worker."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Sparkline, Static

from tuiarena import fmt
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.widgets.keybar import KeyBar

MAX_BARS = 60  # beyond this many sessions, neighbouring sessions share a bar (their max)
METRICS = (
    ("pass_rate", "pass rate", lambda v: f"{v * 100:.0f}%"),
    ("judge_score", "judge 1-5", lambda v: f"{v:.2f}"),
    ("latency_p95_ms", "p95 latency", lambda v: f"{v / 1000:.2f}s"),
    ("cost_per_response", "cost/answer", fmt.cost),
)


def metric_summary(values: list, render) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return fmt.DASH
    last = render(known[-1])
    if len(known) == 1:
        return f"{last} (1 session)"
    if min(known) == max(known):
        return f"{last} in all {len(known)} sessions"
    return f"{last} now · range {render(min(known))}–{render(max(known))}"


class HistoryScreen(Screen):
    DEFAULT_CSS = """
    HistoryScreen #history-status { height: auto; padding: 0 1; color: $text-muted; }
    HistoryScreen #history-body { height: 1fr; }
    HistoryScreen .history-model { height: auto; margin: 0 0 1 0; }
    HistoryScreen .history-title { height: 1; padding: 0 1; background: $panel; }
    HistoryScreen .history-row { height: 1; padding: 0 1; }
    HistoryScreen .history-label { width: 13; color: $text-muted; }
    HistoryScreen .history-row .history-spark { margin: 0 1; }
    HistoryScreen .history-spark.-flat { color: $accent; }
    HistoryScreen .history-value { width: 1fr; }
    """

    BINDINGS = [
        Binding("r,f5", "refresh", "Refresh", id="history_refresh"),
        Binding("escape,q", "back", "Back", id="history_back"),
    ]

    def __init__(self, models: list[str] | None = None, focus_models: list[str] | None = None) -> None:
        super().__init__()
        self.models = list(models) if models else None
        self.focus_models = list(focus_models or [])
        self.histories: list = []
        self.loaded = Milestone("the history drawn")

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⚖")
        yield Static(Text("Reading sessions…"), id="history-status")
        yield VerticalScroll(id="history-body", can_focus=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "history"
        self.query_one("#history-body").focus()
        self.compute()

    def action_refresh(self) -> None:
        self.compute()

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def compute(self) -> None:
        from tuiarena.engine.sessions.history import model_history

        histories = model_history(self.models)
        self.app.call_from_thread(self.show, histories)  # type: ignore[arg-type]  # a coroutine: awaited on the loop

    async def show(self, histories: list) -> None:
        first = [h for m in self.focus_models for h in histories if h.model == m]
        self.histories = first + [h for h in histories if h not in first]
        body = self.query_one("#history-body", VerticalScroll)
        body.remove_children()
        blocks = [self._block(h) for h in self.histories if h.points]
        n = len(blocks)
        if not n:
            status = "No saved sessions with answers yet: run prompts or a suite, then come back."
        else:
            status = (f"{n} model{'s' if n != 1 else ''} · one bar per session, oldest left · "
                      "pass rate over answers with a verdict; latency over answers that did not fail")
        self.query_one("#history-status", Static).update(Text(status))
        await body.mount_all(blocks)
        self.loaded.reach()

    def _block(self, h) -> Vertical:
        last = h.points[-1]
        title = Text()
        title.append(h.model, style="bold")
        title.append(f" · {len(h.points)} session{'s' if len(h.points) != 1 else ''} · last "
                     f"{fmt.visible(last.name or last.session_id)[:40]}")
        rows: list[Widget] = [Static(title, classes="history-title")]
        for metric, label, render in METRICS:
            values = h.series(metric)
            known = [float(v) for v in values if v is not None]
            if not known:
                continue
            width = min(max(len(known), 2), MAX_BARS)  # one bar per session up to MAX_BARS
            spark: Widget
            if max(known) == min(known):  # Sparkline draws a flat series as its lowest bars, which read as zero
                spark = Static(Text("▄" * width), classes=f"history-spark -flat -{metric}")
            else:
                spark = Sparkline(known, summary_function=max, classes=f"history-spark -{metric}")
            spark.styles.width = width
            rows.append(Horizontal(
                Static(Text(label), classes="history-label"),
                spark,
                Static(Text(metric_summary(values, render)), classes="history-value"),
                classes="history-row",
            ))
        return Vertical(*rows, classes="history-model")
