"""The leaderboard's vote reading: the same votes and judge verdicts as reading the sessions whole,
read again only where a file grew, a line still being written left for the next read."""

from __future__ import annotations

import json

from tests.replay_helpers import done, run, vote, write_session
from tuiarena.engine.arena import collect_arena
from tuiarena.model import ScoreGiven, SessionHeader
from tuiarena.store.paths import write_private
from tuiarena.store.sessions import read_session
from tuiarena.store.vote_lines import VoteReader


def voter_file(home, n: int, outcomes: list[str]):
    r = run(f"r{n}", ["demo/swift", "demo/steady"], f"question {n}")
    events = [r, done(r, "demo/swift", "an answer " * 50), done(r, "demo/steady", "another " * 50)]
    events += [vote(r, "demo/swift", "demo/steady", o) for o in outcomes]
    events += [ScoreGiven(response_id=r.response_ids["demo/swift"], run_id=r.run_id, scorer="judge:pairwise",
                          score=1.0, passed=True, reason="A"),
               ScoreGiven(response_id=r.response_ids["demo/swift"], run_id=r.run_id, scorer="checks",
                          score=1.0, passed=True, reason="ok")]
    return write_session(home / "sessions" / f"20261204-00000{n}-v{n}.jsonl", events,
                         SessionHeader(session_id=f"v{n}", name=f"arena · v{n}", kind="blind", created=1.0))


def whole(paths) -> tuple[list, list]:
    """What reading each session whole finds (the old way)."""
    events = [ev for p in paths for ev in read_session(p).events]
    return ([ev.to_record() for ev in events if ev.type == "vote"],
            [ev.to_record() for ev in events if ev.type == "score" and ev.scorer == "judge:pairwise"])


def test_the_same_votes_and_verdicts_as_reading_the_files_whole(tuiarena_home):
    paths = [voter_file(tuiarena_home, 1, ["a", "b"]), voter_file(tuiarena_home, 2, ["tie"])]
    # a line written by hand with another key order is still read
    with open(paths[1], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"outcome": "both_bad", "model_b": "demo/steady", "model_a": "demo/swift",
                             "type": "vote", "t_wall": 5.0}) + "\n")
    votes, scores, read, warnings = collect_arena([])
    want_votes, want_scores = whole(paths)
    assert sorted(json.dumps(v.to_record(), sort_keys=True) for v in votes) == \
        sorted(json.dumps(v, sort_keys=True) for v in want_votes)
    assert sorted(s.run_id for s in scores) == sorted(s["run_id"] for s in want_scores) == ["r1", "r2"]
    assert all(s.to_record() in want_scores for s in scores)
    assert (read, warnings, len(votes)) == (2, [], 4)


def test_a_file_is_read_again_only_where_it_grew(tmp_path):
    path = voter_file(tmp_path, 1, ["a"])
    reader = VoteReader()
    assert [v.outcome for v in reader.read(path)[0]] == ["a"]
    line = json.dumps(vote(run("r9", ["demo/swift", "demo/steady"], "q"), "demo/swift", "demo/steady", "b")
                      .to_record(), separators=(",", ":"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line[:20])  # a line still being written: not read yet
    assert [v.outcome for v in reader.read(path)[0]] == ["a"]
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line[20:] + "\n")
    assert [v.outcome for v in reader.read(path)[0]] == ["a", "b"]
    # replaced (a new inode) or cut shorter: read again from the header
    write_private(path, path.read_text(encoding="utf-8").replace('"outcome":"a"', '"outcome":"tie"'))
    assert [v.outcome for v in reader.read(path)[0]] == ["tie", "b"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("".join(lines[:-1]))
    assert [v.outcome for v in reader.read(path)[0]] == ["tie"]


def test_a_file_that_is_not_a_session_adds_no_votes(tuiarena_home):
    voter_file(tuiarena_home, 1, ["a"])
    bad = tuiarena_home / "sessions" / "20261204-000009-bad.jsonl"
    bad.write_text('{"type":"vote","model_a":"x/a","model_b":"x/b","outcome":"a"}\n', encoding="utf-8")
    votes, _scores, read, _warnings = collect_arena([])
    assert len(votes) == 1 and read == 1
