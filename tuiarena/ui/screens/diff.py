"""The diff view: two sessions (an original and its re-run), prompt by prompt; for the highlighted
prompt, old and new answers side by side per model with the change in TTFT, latency, tokens, cost
and scores (from :func:`tuiarena.engine.sessions.diff.diff_sessions`)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import AwaitMount, Widget
from textual.widgets import DataTable, Header, Static

from tuiarena import fmt
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.widgets.keybar import KeyBar

MAX_ANSWER = 20_000  # characters shown per answer; the export has them whole


def _signed(value, render) -> str:
    if value is None:
        return fmt.DASH
    return ("+" if value > 0 else "") + render(value)


def verdict(m) -> tuple[str, str]:
    if m.old is None:
        return "added", "cyan"
    if m.new is None:
        return "removed", "yellow"
    if m.regressed:
        return "regressed", "bold red"
    if m.improved:
        return "improved", "bold green"
    return ("changed", "") if m.text_changed else ("same", "dim")


def change_line(m) -> Text:
    """``model · regressed · Δ TTFT +12 ms · Δ total +0.30 s · Δ tokens -4 · Δ cost +$0.00001 · checks pass→FAIL``"""
    label, style = verdict(m)
    text = Text(no_wrap=False)
    text.append(m.label or "?", style="bold")
    text.append(" · ")
    text.append(label, style=style)
    text.append(f" · Δ TTFT {_signed(m.d_ttft_ms, lambda v: f'{v:,.0f} ms')}")
    text.append(f" · Δ total {_signed(m.d_total_ms, lambda v: f'{v / 1000:.2f} s')}")
    text.append(f" · Δ tokens {_signed(m.d_tokens, lambda v: f'{v:,}')}")
    text.append(f" · Δ cost {_signed(m.d_cost_usd, lambda v: f'${v:.5f}')}")
    for s in m.scores:
        old = {True: "pass", False: "FAIL", None: ""}[s.old_passed] or (fmt.DASH if s.old_score is None else f"{s.old_score:.3g}")
        new = {True: "pass", False: "FAIL", None: ""}[s.new_passed] or (fmt.DASH if s.new_score is None else f"{s.new_score:.3g}")
        style = "red" if s.regressed else "green" if s.improved else ""
        text.append(f" · {s.scorer} ")
        text.append(f"{old}→{new}", style=style)
    return text


def answer_text(side, what: str) -> Text:
    if side is None:
        return Text(f"(no {what} answer)", style="dim italic")
    body = side.text or ""
    text = Text()
    if side.status != "done":
        text.append(f"[{side.status}]\n", style="bold red" if side.status == "error" else "bold yellow")
    shown = fmt.visible(body[:MAX_ANSWER])
    text.append(shown)
    if len(body) > MAX_ANSWER:
        text.append(f"\n… {len(body) - MAX_ANSWER:,} more characters (export the session to see them)", style="dim")
    return text


class DiffScreen(Screen):
    DEFAULT_CSS = """
    DiffScreen #diff-summary { height: auto; padding: 0 1; color: $text-muted; }
    DiffScreen #diff-prompts { height: 35%; min-height: 4; }
    DiffScreen #diff-detail { height: 1fr; }
    DiffScreen .diff-change { height: auto; padding: 0 1; background: $panel; }
    DiffScreen .diff-pair { height: auto; }
    DiffScreen .diff-side { width: 1fr; height: auto; border: round $panel-lighten-2; padding: 0 1; }
    """

    BINDINGS = [
        Binding("x", "toggle_changed", "Only changes", id="diff_only_changes"),
        Binding("escape,q", "back", "Back", id="diff_back"),
    ]

    def __init__(self, old_path: Path | str, new_path: Path | str) -> None:
        super().__init__()
        self.old_path, self.new_path = Path(old_path), Path(new_path)
        self.diffs: list = []
        self.shown: list = []
        self.only_changes = False
        self.loaded = Milestone("the sessions compared")
        self._detail_for: int | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⚖")
        yield Static(Text("comparing…"), id="diff-summary")
        yield DataTable(id="diff-prompts", cursor_type="row", zebra_stripes=True)
        yield VerticalScroll(id="diff-detail", can_focus=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "diff"
        table = self.query_one("#diff-prompts", DataTable)
        for key, title in (("n", "#"), ("prompt", "Prompt / case"), ("status", "Status"), ("result", "Result"),
                           ("d_total", "Δ total s"), ("d_cost", "Δ cost")):
            table.add_column(title, key=key)
        table.focus()
        self.compute()

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def compute(self) -> None:
        from tuiarena.engine.sessions.diff import diff_sessions, summarise
        from tuiarena.errors import UserError
        from tuiarena.store.sessions import read_session

        try:
            old, new = read_session(self.old_path), read_session(self.new_path)
        except UserError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        diffs = diff_sessions(old, new)
        head = (f"old {old.header.session_id} ({fmt.visible(old.name or 'unnamed')}) → new {new.header.session_id} "
                f"({fmt.visible(new.name or 'unnamed')})")
        self.app.call_from_thread(self.show, diffs, summarise(diffs), head)  # type: ignore[arg-type]  # awaited on the loop

    def _error(self, message: str) -> None:
        self.query_one("#diff-summary", Static).update(Text(message, style="bold red"))

    async def show(self, diffs: list, summary: dict, head: str) -> None:
        self.diffs = diffs
        text = Text(head + "\n")
        text.append(f"{summary['prompts']} prompts · {summary['matched']} matched · {summary['added']} added · "
                    f"{summary['removed']} removed · ")
        text.append(f"{summary['regressions']} regressions", style="bold red" if summary["regressions"] else "")
        text.append(f" · {summary['improvements']} improvements · {summary['changed_answers']} answers changed")
        self.query_one("#diff-summary", Static).update(text)
        mounted = self._fill()
        if mounted is not None:
            await mounted  # the first prompt's answers, old and new
        self.loaded.reach_after_refresh(self.query_one("#diff-prompts"))

    def _fill(self) -> AwaitMount | None:
        table = self.query_one("#diff-prompts", DataTable)
        table.clear()
        self.shown = [d for d in self.diffs
                      if not self.only_changes or d.status != "matched" or any(verdict(m)[0] != "same" for m in d.models)]
        for i, d in enumerate(self.shown):
            counts: dict[str, int] = {}
            for m in d.models:
                counts[verdict(m)[0]] = counts.get(verdict(m)[0], 0) + 1
            result = Text(", ".join(f"{n} {k}" for k, n in counts.items()),
                          style="red" if counts.get("regressed") else "green" if counts.get("improved") else "")
            totals = [m.d_total_ms for m in d.models if m.d_total_ms is not None]
            costs = [m.d_cost_usd for m in d.models if m.d_cost_usd is not None]
            run = d.old_run or d.new_run
            label = d.case_id or " ".join(fmt.visible(d.prompt).split())
            if d.case_id and run is not None and run.repeat:
                label += f" (repeat {run.repeat + 1})"
            table.add_row(
                Text(str(self.diffs.index(d) + 1), justify="right"),
                Text(label[:70], no_wrap=True, overflow="ellipsis"), Text(d.status), result,
                Text(_signed(sum(totals) / len(totals) if totals else None, lambda v: f"{v / 1000:.2f}"), justify="right"),
                Text(_signed(sum(costs) if costs else None, lambda v: f"{v:.5f}"), justify="right"),
                key=str(i),
            )
        self._detail_for = None
        return self._show_detail(0 if self.shown else None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "diff-prompts":
            self._show_detail(event.cursor_row)

    def _show_detail(self, index: int | None) -> AwaitMount | None:
        if index == self._detail_for:
            return None
        self._detail_for = index
        detail = self.query_one("#diff-detail", VerticalScroll)
        detail.remove_children()
        if index is None or not (0 <= index < len(self.shown)):
            return detail.mount(Static(Text("no prompts to compare" if self.loaded else "", style="dim")))
        d = self.shown[index]
        widgets: list[Widget] = [Static(Text(fmt.visible(d.prompt)), classes="diff-change")]
        for m in d.models:
            old = Static(answer_text(m.old, "old"), classes="diff-side")
            old.border_title = Text(f"old · {m.old_model or fmt.DASH}")
            new = Static(answer_text(m.new, "new"), classes="diff-side")
            new.border_title = Text(f"new · {m.new_model or fmt.DASH}")
            widgets.append(Vertical(Static(change_line(m), classes="diff-change"),
                                    Horizontal(old, new, classes="diff-pair"), classes="diff-pair"))
        mounted = detail.mount_all(widgets)
        detail.scroll_home(animate=False)
        return mounted

    def action_toggle_changed(self) -> None:
        self.only_changes = not self.only_changes
        self.notify("only prompts with changes" if self.only_changes else "every prompt", timeout=2)
        self._fill()

    def action_back(self) -> None:
        self.app.pop_screen()
