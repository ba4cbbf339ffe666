"""The leaderboard: Bradley-Terry ratings with 95% intervals, Elo, battles and win rates from the
blind votes of every saved session, the pairwise win-rate matrix, and the votes per voter with
how often the humans agree with the pairwise judge on the same two answers
(``scoring.voters.voter_table``). The full app and ``tuiarena serve``'s arena
(``arena_mode.ArenaLeaderboardScreen``) both show this screen.

Votes are read and the bootstrap runs in a thread worker, so the screen paints at once.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from tuiarena import fmt
from tuiarena.ui.milestones import Milestone
from tuiarena.ui.widgets.keybar import KeyBar
from tuiarena.ui.widgets.tables import fill_table

COLUMNS = ("Rank", "Model", "BT score", "95% CI", "Elo", "Battles", "Win rate")
VOTER_COLUMNS = ("Voter", "Votes", "A", "B", "Tie", "Both bad", "Judge agreement")


def voters_title(report) -> str:
    """The voters table's title: how often humans and the judge agree overall, when it ran."""
    if report.judged:
        return (f"Votes per voter · humans and the judge agree on {report.agree} of {report.judged} "
                f"judged battles ({fmt.pct(report.agreement)})")
    return "Votes per voter · no judge verdicts on these battles yet"


class LeaderboardScreen(Screen):
    DEFAULT_CSS = """
    LeaderboardScreen #lb-status { height: auto; padding: 0 1; color: $text-muted; }
    LeaderboardScreen #lb-table { height: 1fr; }
    LeaderboardScreen #lb-matrix-title { height: 1; padding: 0 1; }
    LeaderboardScreen #lb-matrix { height: 1fr; }
    LeaderboardScreen #lb-voters-title { height: 1; padding: 0 1; }
    LeaderboardScreen #lb-voters { height: 1fr; }
    """

    BINDINGS = [
        Binding("i", "toggle_leaked", "Include leaked", id="leaderboard_toggle_leaked"),
        Binding("r,f5", "refresh", "Refresh", id="leaderboard_refresh"),
        Binding("escape,q", "back", "Back", id="leaderboard_back"),
    ]

    def __init__(self, sessions: list[str] | None = None, include_leaked: bool = False) -> None:
        super().__init__()
        self.sessions = list(sessions or [])
        self.include_leaked = include_leaked
        self.board = None
        self.voters = None  # the VoterReport last shown
        self.computed = Milestone("the leaderboard computed")  # cleared while it is computed anew

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="⚖")
        yield Static(Text("Reading votes…"), id="lb-status")
        yield DataTable(id="lb-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text("Pairwise win rate (row against column; ties count half)"), id="lb-matrix-title")
        yield DataTable(id="lb-matrix", cursor_type="cell", zebra_stripes=True)
        yield Static(Text("Votes per voter"), id="lb-voters-title")
        yield DataTable(id="lb-voters", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#lb-table", DataTable).focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.computed.clear()
        self.compute(self.include_leaked)

    def action_toggle_leaked(self) -> None:
        self.include_leaked = not self.include_leaked
        self.action_refresh()

    def action_back(self) -> None:
        self.app.pop_screen()

    def read_votes(self) -> tuple[list[Any], list[Any], int, list[str]]:
        """(votes, pairwise judge scores, sessions read, warnings); runs in the worker thread."""
        from tuiarena.engine.arena import collect_arena

        return collect_arena(self.sessions)

    @work(thread=True, exclusive=True, group="leaderboard", exit_on_error=False)
    def compute(self, include_leaked: bool) -> None:
        from tuiarena.errors import UserError
        from tuiarena.scoring.ratings import leaderboard
        from tuiarena.scoring.voters import voter_table

        try:
            votes, scores, sessions, warnings = self.read_votes()
        except UserError as exc:
            self.app.call_from_thread(self._show_error, str(exc))
            return
        board = leaderboard(votes, include_leaked=include_leaked)
        report = voter_table(votes, scores)
        if get_current_worker().is_cancelled:  # a newer computation replaced this one: it shows
            return
        self.app.call_from_thread(self.show, board, sessions, warnings, report)

    def _show_error(self, message: str) -> None:
        self.query_one("#lb-status", Static).update(Text(message, style="bold red"))
        self.computed.reach()  # (what it came to)

    def show(self, board, sessions: int, warnings: list[str], voters=None) -> None:
        from tuiarena.scoring.intervals import interval_text

        if voters is not None:
            self.show_voters(voters)
        self.board = board
        fill_table(self.query_one("#lb-table", DataTable), [(c, c) for c in COLUMNS], [
            (r.model, [Text(str(r.rank), justify="right"), Text(r.model),
                       Text(f"{r.score:.0f}", justify="right"),
                       Text(interval_text(r), justify="right"),
                       Text(f"{r.elo:.0f}", justify="right"), Text(str(r.battles), justify="right"),
                       Text(fmt.pct(r.win_rate), justify="right")])
            for r in board.rows])
        models = [r.model for r in board.rows]
        fill_table(self.query_one("#lb-matrix", DataTable),
                   [("Model", "model"), *((str(i), f"c{i}") for i in range(1, len(models) + 1))],
                   [(a, [Text(f"{i}. {a}"), *(Text(fmt.pct(board.matrix[a][b]) if a != b else "·", justify="right")
                                            for b in models)])
                    for i, a in enumerate(models, 1)])
        self.query_one("#lb-status", Static).update(Text(self._status(board, sessions, warnings)))
        self.computed.reach_after_refresh(*self.query(DataTable))  # (drawn)

    def show_voters(self, report) -> None:
        """The votes-per-voter table (most votes first) and its title with the overall agreement."""
        self.voters = report
        rows = []
        for r in report.rows:
            counts = (r.votes, *(r.outcomes[k] for k in ("a", "b", "tie", "both_bad")))
            agreement = f"{fmt.pct(r.agreement)} of {r.judged}" if r.judged else fmt.DASH
            rows.append((r.voter, [Text(r.voter), *[Text(str(n), justify="right") for n in counts],
                                   Text(agreement, justify="right")]))
        fill_table(self.query_one("#lb-voters", DataTable), [(c, c) for c in VOTER_COLUMNS], rows)
        self.query_one("#lb-voters-title", Static).update(Text(voters_title(report)))

    def _status(self, board, sessions: int, warnings: list[str]) -> str:
        from tuiarena.scoring.intervals import FEW_VOTES_NOTE

        if not board.rows:
            what = "No usable blind votes yet: open the blind arena and vote to build a leaderboard."
        else:
            what = (f"{board.votes} vote{'s' if board.votes != 1 else ''} from {sessions} session{'s' if sessions != 1 else ''}; "
                    f"95% intervals from {board.rounds} bootstrap resamples. Rank = 1 + models whose "
                    "interval lies entirely above.")
            if any(r.lower is None or r.upper is None for r in board.rows):
                what += f" {FEW_VOTES_NOTE}"
        if board.excluded_leaked:
            what += f" {board.excluded_leaked} identity-leaked vote(s) left out (i includes them)."
        elif self.include_leaked:
            what += " Identity-leaked votes included (i leaves them out)."
        if board.excluded_invalid:
            what += f" {board.excluded_invalid} vote(s) on failed answers left out."
        if warnings:
            what += f" Skipped {len(warnings)} unreadable session(s)."
        return what
