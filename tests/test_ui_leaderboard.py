"""The full app's leaderboard (``tuiarena`` and ``tuiarena serve --mode full``): besides the ratings
and the matrix, the votes per voter and how often the humans agree with the pairwise judge, as
the arena's leaderboard shows them (the same screen code)."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.ui_helpers import make_app, ready, screen_text, shown
from tuiarena.model import ScoreGiven, VoteCast
from tuiarena.store.sessions import SessionWriter
from tuiarena.ui.screens.leaderboard import LeaderboardScreen


def _pairwise(ra: str, rb: str, winner: str) -> ScoreGiven:
    return ScoreGiven(response_id=ra, scorer="judge:pairwise",
                      detail={"response_a": ra, "response_b": rb, "winner": winner, "consistent": True})


def _votes(home) -> None:
    """Two browsers' session files (alice, bob) and an old one with an unnamed voter; the judge
    decided two of the pairs: it agrees with alice once and disagrees with bob once."""
    with SessionWriter.create(kind="blind", name="arena · alice") as w:
        w.write(VoteCast(run_id="r1", model_a="demo/swift", model_b="demo/steady", response_a="x1",
                         response_b="x2", outcome="a", voter="alice"))
        w.write(VoteCast(run_id="r2", model_a="demo/steady", model_b="demo/swift", response_a="x3",
                         response_b="x4", outcome="tie", voter="alice"))
        w.write(_pairwise("x2", "x1", "demo/swift"))
    with SessionWriter.create(kind="blind", name="arena · bob") as w:
        w.write(VoteCast(run_id="r3", model_a="demo/swift", model_b="demo/steady", response_a="x5",
                         response_b="x6", outcome="b", voter="bob"))
        w.write(_pairwise("x5", "x6", "demo/swift"))
    with SessionWriter.create(kind="blind", name="mine") as w:
        w.write(VoteCast(run_id="r4", model_a="demo/swift", model_b="demo/steady", outcome="both_bad"))


async def test_full_app_leaderboard_shows_votes_per_voter_and_judge_agreement(tuiarena_home):
    _votes(tuiarena_home)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f10")  # the app's key for the leaderboard
        screen = await shown(app, LeaderboardScreen)
        await screen.computed.wait()
        await pilot.pause()
        report = screen.voters
        assert [(r.voter, r.votes, r.judged, r.agree) for r in report.rows] == [
            ("alice", 2, 1, 1), ("(anonymous)", 1, 0, 0), ("bob", 1, 1, 0)]
        table = screen.query_one("#lb-voters", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["alice", "(anonymous)", "bob"]
        assert str(table.get_row_at(0)[-1]) == "100% of 1"
        assert screen.board.votes == 4
        text = screen_text(app)
    assert "Votes per voter · humans and the judge agree on 1 of 2 judged battles (50%)" in text
    assert "alice" in text and "Judge agreement" in text
    assert "Pairwise win rate" in text and "BT score" in text  # still there at 80x24


async def test_leaderboard_without_judge_says_so(tuiarena_home):
    with SessionWriter.create(kind="blind") as w:
        w.write(VoteCast(run_id="r", model_a="demo/swift", model_b="demo/steady", outcome="a"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = LeaderboardScreen()
        await app.push_screen(screen)
        await screen.computed.wait()
        await pilot.pause()
        assert "no judge verdicts on these battles yet" in screen_text(app)
