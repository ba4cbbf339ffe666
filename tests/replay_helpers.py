"""Build session files by hand (header line + one ``to_record()`` per event), independent of the runner."""

from __future__ import annotations

import json
from pathlib import Path

from tuiarena.model import ResponseDone, RunStarted, ScoreGiven, SessionHeader, VoteCast


def write_session(path: Path, events: list, header: SessionHeader | None = None) -> Path:
    """Write events as SessionWriter does (compact JSON, one per line), so the index's scan reads them."""
    header = header or SessionHeader(session_id="sess1", name="demo session", kind="compare", created=1_700_000_000.0)
    lines = [json.dumps(e.to_record(), ensure_ascii=False, separators=(",", ":")) for e in [header, *events]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(run_id: str, models: list[str], prompt: str, case_id: str | None = None, system: str | None = None, **kw) -> RunStarted:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return RunStarted(run_id=run_id, models=models, messages=messages, params={"temperature": 0},
                      response_ids={m: f"{run_id}-{m.split('/')[-1]}" for m in models}, case_id=case_id,
                      t_wall=1_700_000_000.0, **kw)


def paced_timeline(text: str, start_ms: float, step_ms: float, chunk: int) -> list[list[float]]:
    points, n, ms = [], 0, start_ms
    while n < len(text):
        n = min(len(text), n + chunk)
        points.append([ms, n])
        ms += step_ms
    return points


def done(r: RunStarted, model: str, text: str, *, ttft: float = 100.0, step: float = 20.0, chunk: int = 4,
         reasoning: str = "", timeline: bool = True, **kw) -> ResponseDone:
    rid = r.response_ids[model]
    rtl = paced_timeline(reasoning, ttft, step, chunk) if reasoning and timeline else []
    answer_start = (rtl[-1][0] + step) if rtl else ttft
    tl = paced_timeline(text, answer_start, step, chunk) if timeline else []
    end = (tl[-1][0] if tl else answer_start) + 5
    fields = dict(run_id=r.run_id, response_id=rid, model=model, status="done", text=text, reasoning=reasoning,
                  ttft_ms=ttft, ttft_answer_ms=answer_start, total_ms=end, tokens_per_s=50.0, prompt_tokens=12,
                  completion_tokens=max(1, len(text) // 4), cost_usd=0.00012, finish_reason="stop",
                  timeline=tl, reasoning_timeline=rtl, t_wall=1_700_000_001.0)
    fields.update(kw)
    return ResponseDone(**fields)


def score(d: ResponseDone, scorer: str, passed: bool | None, value: float | None, reason: str = "") -> ScoreGiven:
    return ScoreGiven(response_id=d.response_id, run_id=d.run_id, scorer=scorer, passed=passed, score=value,
                      reason=reason, t_wall=1_700_000_002.0)


def vote(r: RunStarted, a: str, b: str, outcome: str) -> VoteCast:
    return VoteCast(run_id=r.run_id, model_a=a, model_b=b, response_a=r.response_ids[a], response_b=r.response_ids[b],
                    outcome=outcome, prompt=r.messages[-1]["content"], t_wall=1_700_000_003.0)


def compare_session(tmp_path: Path, name: str = "s.jsonl") -> Path:
    """Two runs x two models, one with reasoning, one cached answer, scores and a vote."""
    r1 = run("r1", ["demo/swift", "demo/thinker"], "Name a prime | between 10 and 20.\nJust one.")
    d11 = done(r1, "demo/swift", "13 is prime.", ttft=50)
    d12 = done(r1, "demo/thinker", "**17** | is prime\nand <b>odd</b>.", ttft=80, reasoning="Primes: 11, 13, 17, 19.")
    r2 = run("r2", ["demo/swift", "demo/thinker"], "Say hi", system="Be brief.")
    d21 = done(r2, "demo/swift", "Hi!", timeline=False, cached=True, total_ms=None, ttft_ms=None, ttft_answer_ms=None,
               tokens_per_s=None)
    d22 = done(r2, "demo/thinker", "", status="error", error_kind="rate_limit", error="429 Too Many Requests",
               finish_reason=None, completion_tokens=None, cost_usd=None, timeline=False, total_ms=300.0)
    events = [r1, d11, d12, score(d11, "check:contains", True, 1.0, "found '13'"),
              score(d12, "check:contains", False, 0.0, "missing '13'"), vote(r1, "demo/swift", "demo/thinker", "b"),
              r2, d21, d22]
    return write_session(tmp_path / name, events)
