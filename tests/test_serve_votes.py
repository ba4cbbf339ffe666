"""Many voters, nothing lost: 20 processes casting 50 votes each at once through the real session
writer (one file per connection, as `tuiarena serve` does) -> 1,000 votes counted, 0 torn lines;
votes per voter and the judge-vs-human agreement; old vote lines (no voter) still read."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from tuiarena.engine.arena import collect_arena
from tuiarena.model import ScoreGiven, VoteCast
from tuiarena.scoring.voters import ANONYMOUS, voter_table
from tuiarena.store.sessions import read_session

VOTERS, VOTES_EACH = 20, 50
MODELS = ("demo/swift", "demo/steady", "demo/thinker")


def _voter(n: int, folder: str, barrier) -> None:  # runs in a child process
    from tuiarena.store.sessions import SessionWriter

    writer = SessionWriter.create(kind="blind", name=f"arena · voter{n}", meta={"serve": "arena"},
                                  directory=folder)
    barrier.wait()  # everyone starts writing at the same moment
    for i in range(VOTES_EACH):
        a, b = MODELS[i % 3], MODELS[(i + 1) % 3]
        writer.write(VoteCast(run_id=f"r{n}-{i}", model_a=a, model_b=b, response_a=f"x{n}-{i}a",
                              response_b=f"x{n}-{i}b", outcome=("a", "b", "tie", "both_bad")[i % 4],
                              prompt="p " * (i * 40), voter=f"voter{n:02d}"))  # lines of 0..4 KB
    writer.close()


def test_twenty_concurrent_voters_lose_nothing(tuiarena_home):
    folder = tuiarena_home / "sessions"
    folder.mkdir(parents=True)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(VOTERS)
    procs = [ctx.Process(target=_voter, args=(n, str(folder), barrier)) for n in range(VOTERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    files = sorted(folder.glob("*.jsonl"))
    assert len(files) == VOTERS
    torn = 0
    for path in files:
        log = read_session(path)
        torn += len(log.skipped)
        for line in path.read_bytes().splitlines():
            json.loads(line)  # every line is whole JSON
    assert torn == 0
    votes, _scores, sessions, warnings = collect_arena([])
    assert (len(votes), sessions, warnings) == (VOTERS * VOTES_EACH, VOTERS, [])
    report = voter_table(votes)
    assert len(report.rows) == VOTERS and all(r.votes == VOTES_EACH for r in report.rows)


def _pairwise(ra: str, rb: str, winner: str, consistent: bool = True) -> ScoreGiven:
    return ScoreGiven(response_id=ra, scorer="judge:pairwise", score=None,
                      detail={"response_a": ra, "response_b": rb, "winner": winner, "consistent": consistent})


def test_voter_table_and_judge_agreement():
    votes = [
        VoteCast(model_a="m1", model_b="m2", response_a="r1", response_b="r2", outcome="a", voter="ann"),
        VoteCast(model_a="m2", model_b="m1", response_a="r4", response_b="r3", outcome="a", voter="ann"),
        VoteCast(model_a="m1", model_b="m2", response_a="r5", response_b="r6", outcome="both_bad", voter="bo"),
        VoteCast(model_a="m1", model_b="m2", response_a="r7", response_b="r8", outcome="b"),
        VoteCast(model_a="m1", model_b="m2", response_a="r9", response_b="r10", outcome="a", voter="bo"),
    ]
    scores = [
        _pairwise("r2", "r1", "m1"),  # same pair, other order: agrees with ann
        _pairwise("r3", "r4", "m1"),  # ann said m2: disagrees
        _pairwise("r5", "r6", "tie"),  # both bad = no winner = tie: agrees
        _pairwise("r9", "r10", "m2", consistent=False),  # position bias: no verdict, not counted
        ScoreGiven(scorer="judge:rubric", detail={"response_a": "r7", "response_b": "r8", "winner": "m1"}),
    ]
    report = voter_table(votes, scores)
    rows = {r.voter: r for r in report.rows}
    assert [r.voter for r in report.rows] == ["ann", "bo", ANONYMOUS]
    assert (rows["ann"].votes, rows["ann"].judged, rows["ann"].agree) == (2, 2, 1)
    assert (rows["bo"].judged, rows["bo"].agree, rows["bo"].outcomes["both_bad"]) == (1, 1, 1)
    assert rows[ANONYMOUS].judged == 0 and rows[ANONYMOUS].agreement is None
    assert (report.judged, report.agree) == (3, 2)


def test_old_vote_lines_without_a_voter_still_read(tuiarena_home):
    folder = Path(tuiarena_home) / "sessions"
    folder.mkdir(parents=True)
    path = folder / "20240101-000000-old.jsonl"
    path.write_text(
        '{"type":"header","session_id":"old","format":1}\n'
        '{"type":"vote","run_id":"r","model_a":"m1","model_b":"m2","outcome":"a","prompt":"p"}\n',
        encoding="utf-8")
    votes, _scores, _n, _w = collect_arena([])
    assert len(votes) == 1 and votes[0].voter == ""
    assert voter_table(votes).rows[0].voter == ANONYMOUS


def test_leaderboard_command_prints_votes_per_voter(tuiarena_home, capsys):
    from tuiarena.cli import main
    from tuiarena.store.sessions import SessionWriter

    with SessionWriter.create(kind="blind") as w:
        w.write(VoteCast(run_id="r", model_a="m/a", model_b="m/b", response_a="x1", response_b="x2",
                         outcome="a", voter="dana"))
        w.write(_pairwise("x1", "x2", "m/a"))
    assert main(["leaderboard", "--rounds", "0"]) == 0
    out = capsys.readouterr().out
    assert "Votes per voter" in out and "dana" in out
    assert "agree on 1 of 1 judged" in out
