"""Who voted, and how often the humans agree with the judge.

``voter_table`` counts the blind votes per voter label (``VoteCast.voter``; "" is shown as
``ANONYMOUS``). ``judge_agreement`` pairs each human vote with a pairwise judge verdict on the
same two responses (``ScoreGiven`` with ``scorer == "judge:pairwise"``, matched on the unordered
pair of response ids) and counts how often they name the same winner; "tie" and "both bad" both
mean "no winner". Judge verdicts that were inconsistent across the two orders or failed are left
out (there is no verdict to agree with). Pure functions over events; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tuiarena.model import ScoreGiven, VoteCast

ANONYMOUS = "(anonymous)"
PAIRWISE = "judge:pairwise"


@dataclass(slots=True)
class VoterRow:
    voter: str
    votes: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"a": 0, "b": 0, "tie": 0, "both_bad": 0})
    judged: int = 0  # votes on a pair the judge also decided
    agree: int = 0  # ... where the human and the judge named the same winner (or both none)

    @property
    def agreement(self) -> float | None:
        return self.agree / self.judged if self.judged else None

    def to_dict(self) -> dict[str, Any]:
        return {"voter": self.voter, "votes": self.votes, "outcomes": dict(self.outcomes),
                "judged": self.judged, "agree": self.agree, "agreement": self.agreement}


@dataclass(slots=True)
class VoterReport:
    rows: list[VoterRow]
    judged: int = 0  # human votes with a judge verdict on the same pair
    agree: int = 0

    @property
    def agreement(self) -> float | None:
        return self.agree / self.judged if self.judged else None

    def to_dict(self) -> dict[str, Any]:
        return {"voters": [r.to_dict() for r in self.rows], "judged": self.judged, "agree": self.agree,
                "agreement": self.agreement}


def _pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def human_winner(vote: VoteCast) -> str:
    """The winning model of a vote, or "tie" (a tie or both bad)."""
    if vote.outcome == "a":
        return vote.model_a
    if vote.outcome == "b":
        return vote.model_b
    return "tie"


def judge_verdicts(scores: Iterable[Any]) -> dict[frozenset[str], str]:
    """{unordered response-id pair: winner model or "tie"} from consistent pairwise judge scores."""
    out: dict[frozenset[str], str] = {}
    for s in scores:
        if not isinstance(s, ScoreGiven) or s.scorer != PAIRWISE:
            continue
        d = s.detail if isinstance(s.detail, dict) else {}
        ra, rb, winner = d.get("response_a"), d.get("response_b"), d.get("winner")
        if d.get("consistent") is not True or not ra or not rb or not isinstance(winner, str) or not winner:
            continue
        out[_pair(str(ra), str(rb))] = winner
    return out


def voter_table(votes: Iterable[VoteCast], scores: Iterable[Any] = ()) -> VoterReport:
    """Votes per voter (most first), each with its agreement with the judge where one exists."""
    verdicts = judge_verdicts(scores)
    rows: dict[str, VoterRow] = {}
    report = VoterReport(rows=[])
    for v in votes:
        label = v.voter.strip() if isinstance(v.voter, str) and v.voter.strip() else ANONYMOUS
        row = rows.setdefault(label, VoterRow(label))
        row.votes += 1
        if v.outcome in row.outcomes:
            row.outcomes[v.outcome] += 1
        judge = verdicts.get(_pair(v.response_a, v.response_b)) if v.response_a and v.response_b else None
        if judge is None or v.invalid:
            continue
        same = judge == human_winner(v)
        row.judged += 1
        row.agree += same
        report.judged += 1
        report.agree += same
    report.rows = sorted(rows.values(), key=lambda r: (-r.votes, r.voter))
    return report
