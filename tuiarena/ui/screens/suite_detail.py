"""Drill into a matrix cell: every model's answer to one case side by side, each check with its
reason and the judge's verdict. Model output is data: ``rich.text.Text`` with control characters
made visible, never markup. Columns that would be narrower than :data:`MIN_ANSWER` are paged (whole
columns, ← → turn the page), as on the compare screen."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tuiarena import fmt
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.paging import column_widths, page_of, per_page
from tuiarena.ui.screens.suite_widgets import BAD, MUTED, OK, WARN, _one_line, _v
from tuiarena.ui.widgets.keybar import KeyBar

MIN_ANSWER = 26  # below this the answer columns are paged


def answer_head(ans: Any) -> Text:
    """Status, score, each check with its reason, and the judge's verdict for one answer."""
    t = Text()
    rec, cell = ans.record, ans.cell
    if rec is None:
        t.append("no answer yet", style=MUTED)
        return t
    status_style = {"done": OK, "error": BAD, "cut": WARN, "cancelled": WARN}.get(rec.status, "")
    t.append(rec.status, style=f"bold {status_style}".strip())
    if rec.cached:
        t.append(" (cached)", style=MUTED)
    t.append(f"  {fmt.seconds(rec.total_ms)}s · {fmt.tokens(rec.completion_tokens, rec.tokens_estimated)} tok · {fmt.cost(rec.cost_usd)}",
             style=MUTED)
    if rec.error:
        t.append("\n" + _one_line(rec.error), style=BAD)
    if cell is not None:
        mark, style = {True: ("PASS", OK), False: ("FAIL", BAD)}.get(cell.passed, ("no verdict", MUTED))
        t.append("\n")
        t.append(mark, style=f"bold {style}")
        if cell.score is not None:
            t.append(f"  score {cell.score:.2f}")
    for c in ans.checks:
        ok = c.get("passed")
        t.append("\n" + {True: "✓ ", False: "✗ "}.get(ok, "· "), style={True: OK, False: BAD}.get(ok, MUTED))
        t.append(_one_line(c.get("name", c.get("type", "?"))), style="bold")
        t.append(": " + _one_line(c.get("reason", "")))
    judge = cell.judge if cell is not None else None
    if judge is not None:
        d = judge.detail
        t.append("\njudge ", style="bold")
        if judge.score is not None:
            t.append(f"{judge.score:g}/{d.get('max_total', 15)} ")
            t.append(f"(correctness {d.get('correctness')}, clarity {d.get('clarity')}, conciseness {d.get('conciseness')}) ",
                     style=MUTED)
        t.append(_one_line(judge.reason), style="italic")
    elif cell is None and rec.status in ("done", "cut"):
        t.append("\nscoring…", style=MUTED)
    if ans.truncated:
        t.append("\n(answer shown up to 100,000 characters; the session file has it all)", style=MUTED)
    return t


class AnswerColumn(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    AnswerColumn { height: 1fr; border: round $panel-lighten-2; padding: 0 1;
                   scrollbar-size-vertical: 1; }
    AnswerColumn:focus { border: round $primary; }
    AnswerColumn.-chosen { border-title-style: bold; }
    AnswerColumn > .answer-head { height: auto; border-bottom: dashed $panel-lighten-2; margin-bottom: 1; }
    AnswerColumn > .answer-text { height: auto; }
    """

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.border_title = _v(model)

    def compose(self) -> ComposeResult:
        yield Static(classes="answer-head")
        yield Static(classes="answer-text")

    def show(self, head: Text, text: str) -> None:
        self.query_one(".answer-head", Static).update(head)
        self.query_one(".answer-text", Static).update(Text(fmt.visible(text)))


class CellDetailScreen(Screen):
    """Every model's answer to one case, side by side, with check reasons and the judge's verdict."""

    DEFAULT_CSS = """
    CellDetailScreen #detail-title { height: 1; padding: 0 1; background: $panel; }
    CellDetailScreen #detail-prompt { height: auto; max-height: 6; padding: 0 1; color: $text-muted;
                                      border-bottom: solid $panel-lighten-2; }
    CellDetailScreen #detail-columns { height: 1fr; }
    CellDetailScreen #detail-pages { height: 1; padding: 0 1; color: $text-muted; display: none; }
    CellDetailScreen.-paged #detail-pages { display: block; }
    CellDetailScreen #detail-pairwise { height: auto; max-height: 4; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="suite_detail_close"),
        Binding("left_square_bracket,p", "step(-1)", "Prev case", id="suite_detail_prev"),
        Binding("right_square_bracket,n", "step(1)", "Next case", id="suite_detail_next"),
        Binding("r", "next_repeat", "Next repeat", id="suite_detail_repeat"),
        Binding("left", "focus_column(-1)", "Left", id="suite_detail_left", show=False),
        Binding("right", "focus_column(1)", "Right", id="suite_detail_right", show=False),
    ]

    def __init__(self, live: Any, case_id: str, model: str | None = None, repeat: int = 0) -> None:
        super().__init__()
        self.live, self.case_id, self.model, self.repeat = live, case_id, model, repeat
        self._version = -1
        self.laid_out = Milestone("the answers laid out")  # the columns of the chosen one's page sized

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        with VerticalScroll(id="detail-prompt"):
            yield Static(id="detail-prompt-text")
        yield Static(id="detail-pages")
        with Horizontal(id="detail-columns"):
            n = len(self.live.models)
            per = per_page(self.app.size.width, n, MIN_ANSWER)
            widths = column_widths(self.app.size.width, per)
            for i, m in enumerate(self.live.models):
                col = AnswerColumn(m)
                col.styles.width = widths[i] if i < per else MIN_ANSWER  # laid out again once mounted
                col.display = i < per
                yield col
        with Vertical(id="detail-pairwise"):
            yield Static(id="detail-pairwise-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_detail()
        cols = list(self.query(AnswerColumn))
        chosen = next((c for c in cols if c.model == self.model), cols[0] if cols else None)
        if chosen is not None:
            chosen.add_class("-chosen")
            chosen.display = True  # (on another page than the first: shown, then laid out below)
            chosen.focus()
        self.set_interval(0.5, self._poll)
        self.call_after_refresh(self.layout_columns)

    def on_resize(self) -> None:
        self.query_one("#detail-prompt").styles.max_height = 4 if self.size.height < 30 else 8
        self.call_after_refresh(self.layout_columns)

    def layout_columns(self) -> None:
        """Share the width between the columns of the focused column's page; hide the others (whole
        columns only, never a sliver of the next: ← and → walk the columns and turn the page)."""
        area = self.query_one("#detail-columns", Horizontal)
        cols = list(self.query(AnswerColumn))
        if not cols:
            return
        total, n = area.size.width or self.app.size.width, len(cols)
        focused = self.focused if isinstance(self.focused, AnswerColumn) else None
        at = page_of(n, per_page(total, n, MIN_ANSWER), cols.index(focused) if focused in cols else None)
        shown = cols[at.start:at.stop]
        with self.app.batch_update():
            for col in cols:
                col.display = col in shown
            for col, w in zip(shown, column_widths(total, len(shown))):
                col.styles.width = w
            self.set_class(at.pages > 1, "-paged")
            key = self.app.key_for  # type: ignore[attr-defined]  # the arena app: keys as bound now
            self.query_one("#detail-pages", Static).update(Text(at.strip(
                key("suite_detail_right", "right"), key("suite_detail_left", "left"))))
        self.laid_out.reach()

    def _poll(self) -> None:
        if self.live.version != self._version:
            self.refresh_detail()

    def refresh_detail(self) -> None:
        self._version = self.live.version
        case = self.live.cases[self.case_id]
        ids = list(self.live.cases)
        title = Text(f"case {ids.index(self.case_id) + 1}/{len(ids)}: ", style="bold")
        title.append(_one_line(self.case_id), style="bold")
        if case.category:
            title.append(f" · {_one_line(case.category)}", style=MUTED)
        if self.live.repeat > 1:
            title.append(f" · repeat {self.repeat + 1}/{self.live.repeat}", style=MUTED)
        self.query_one("#detail-title", Static).update(title)
        prompt = Text()
        for m in case.messages:
            prompt.append(f"{m['role']}: ", style="bold")
            prompt.append(fmt.visible(m["content"]) + "\n")
        if case.expected is not None:
            prompt.append("expected: ", style="bold")
            expected = case.expected if isinstance(case.expected, str) else json.dumps(case.expected, ensure_ascii=False)
            prompt.append(_one_line(expected))
        self.query_one("#detail-prompt-text", Static).update(prompt)
        answers = {a.model: a for a in self.live.case_answers(self.case_id, self.repeat)}
        with self.app.batch_update():
            for col in self.query(AnswerColumn):
                ans = answers[col.model]
                col.show(answer_head(ans), self.live.text_of(ans))
        pw = self.live.pairwise.get(self.case_id, [])
        box = self.query_one("#detail-pairwise")
        box.display = bool(pw)
        if pw:
            t = Text("pairwise judge\n", style="bold")
            for s in pw:
                t.append(f"  {_v(s.detail.get('model_a'))} vs {_v(s.detail.get('model_b'))}: {_one_line(s.reason)}\n")
            self.query_one("#detail-pairwise-text", Static).update(t)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "next_repeat" and self.live.repeat < 2)  # one repeat: hidden from the footer

    def action_close(self) -> None:
        self.dismiss()

    def action_step(self, step: int) -> None:
        ids = list(self.live.cases)
        self.case_id = ids[(ids.index(self.case_id) + step) % len(ids)]
        self.refresh_detail()
        for col in self.query(AnswerColumn):
            col.scroll_home(animate=False)

    def action_next_repeat(self) -> None:
        if self.live.repeat > 1:
            self.repeat = (self.repeat + 1) % self.live.repeat
            self.refresh_detail()

    def action_focus_column(self, step: int) -> None:
        cols = list(self.query(AnswerColumn))
        if not cols:
            return
        idx = cols.index(self.focused) if self.focused in cols else -1
        nxt = cols[(idx + step) % len(cols)]
        nxt.display = True  # (a hidden widget cannot take the focus)
        nxt.focus()
        self.call_after_refresh(self.layout_columns)
