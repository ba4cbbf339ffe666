"""Regressions against a baseline session, for ``tuiarena suite FILE --baseline SESSION``.

Both sessions are reduced to :class:`~tuiarena.engine.outcomes.Outcome` records and matched by model
and case (suite case id; for sessions without cases, the exact prompt). Repeats of a case are pooled.
Kinds of :class:`Regression`, in the order they are reported:

``case_failed``  a case that passed before and fails now: it passed in every baseline repeat and now
                 fails in at least one, or it passed in some and now fails in all.
``error``        a case with no verdict either way that was answered before and now errors or is cut.
``score_drop``   the mean check score (0..1) or the mean judge grade (1..5, compared on a 0..1 scale)
                 of a case fell by more than the spread seen in its repeats (max - min, in either
                 session), and at least by ``score_tolerance``. A case already reported as
                 ``case_failed`` is not reported again for its check score.
``latency``      a model's p95 total latency (answers that did not fail) grew by more than
                 ``latency_tolerance`` (relative, default 20%).
``cost``         a model's mean cost per answer grew by more than ``cost_tolerance`` (relative).

Models present in one session only are skipped (listed in :attr:`BaselineResult.skipped_models`);
``model_map`` pairs a new model with an old one when they are meant to be compared (a replacement).
Whether the run *regressed* (exit code 3) is decided per model by paired tests on the matched cases
(:func:`_paired`): the case-by-case list above is what changed, the tests say whether it is more
than noise. Pure functions of two logs (anything with ``events``); nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tuiarena.engine.outcomes import Outcome, outcomes
from tuiarena.engine.suite.aggregate import percentile

KINDS = ("case_failed", "error", "score_drop", "latency", "cost")
JUDGE_MAX = 5.0


@dataclass(slots=True)
class Tolerances:
    latency: float = 0.20  # p95 latency may grow by 20%
    cost: float = 0.20  # mean cost per answer may grow by 20%
    score: float = 0.05  # smallest score drop (0..1 scale) that counts, even without repeats
    latency_floor_ms: float = 50.0  # and p95 must grow by at least this much: sub-50 ms moves are noise


@dataclass(slots=True)
class Regression:
    kind: str  # one of KINDS
    model: str  # the model in the new session
    case_id: str | None  # None for model-wide figures (latency, cost)
    old: Any
    new: Any
    detail: str  # one line for people

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class BaselineResult:
    baseline_session: str
    session: str
    regressions: list[Regression] = field(default_factory=list)
    compared_models: list[str] = field(default_factory=list)
    compared_cases: int = 0
    skipped_models: list[str] = field(default_factory=list)  # in one session only
    paired: dict[str, dict[str, Any]] = field(default_factory=dict)  # model -> paired tests and decisions

    @property
    def regressed(self) -> bool:
        """A regression decided by a paired test (or a p95 whose intervals no longer overlap)."""
        return any(p["regressed"] for p in self.paired.values())

    @property
    def ok(self) -> bool:
        return not self.regressed

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_session": self.baseline_session, "session": self.session,
            "regressions": [r.to_dict() for r in self.regressions],
            "compared_models": self.compared_models, "compared_cases": self.compared_cases,
            "skipped_models": self.skipped_models,
            "paired": self.paired, "regressed": self.regressed,
        }


def _label(o: Outcome) -> str:
    if o.case_id is not None:
        return o.case_id
    text = " ".join(o.prompt.split())
    return text if len(text) <= 40 else text[:39] + "…"


def _spread(values: list[float]) -> float:
    return max(values) - min(values) if len(values) > 1 else 0.0


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _group(rows: list[Outcome]) -> dict[str, dict[str, list[Outcome]]]:
    out: dict[str, dict[str, list[Outcome]]] = {}
    for o in rows:
        out.setdefault(o.model, {}).setdefault(o.key, []).append(o)
    return out


def _case_regressions(model: str, old: list[Outcome], new: list[Outcome], tol: Tolerances) -> list[Regression]:
    out: list[Regression] = []
    case = new[0].case_id if new[0].case_id is not None else None
    label = _label(new[0])
    old_v = [o.passed for o in old if o.passed is not None]
    new_v = [o.passed for o in new if o.passed is not None]
    failed_case = False
    if old_v and new_v:
        op, np_ = sum(old_v), sum(new_v)
        if (op == len(old_v) and np_ < len(new_v)) or (op > 0 and np_ == 0):
            failed_case = True
            why = next((o for o in new if o.passed is False), None)
            status = f" ({why.status})" if why is not None and why.status != "done" else ""
            out.append(Regression("case_failed", model, case, f"{op}/{len(old_v)}", f"{np_}/{len(new_v)}",
                                  f"{label}: passed {op}/{len(old_v)} before, {np_}/{len(new_v)} now{status}"))
    elif not old_v and not new_v and all(o.ok for o in old) and any(o.status in ("error", "cut") for o in new):
        bad = next(o for o in new if o.status in ("error", "cut"))
        out.append(Regression("error", model, case, "done", bad.status, f"{label}: answered before, {bad.status} now"))
    for attr, scale, what in (("check_score", 1.0, "check score"), ("judge_score", JUDGE_MAX, "judge grade")):
        if attr == "check_score" and failed_case:
            continue
        a = [getattr(o, attr) for o in old if getattr(o, attr) is not None]
        b = [getattr(o, attr) for o in new if getattr(o, attr) is not None]
        if not a or not b:
            continue
        ma, mb = _mean(a), _mean(b)
        assert ma is not None and mb is not None
        drop = (ma - mb) / scale
        allowed = max(tol.score, _spread(a) / scale, _spread(b) / scale)
        if drop > allowed + 1e-12:
            spread = f", spread in repeats {max(_spread(a), _spread(b)):.3g}" if len(a) > 1 or len(b) > 1 else ""
            out.append(Regression("score_drop", model, case, round(ma, 4), round(mb, 4),
                                  f"{label}: {what} {ma:.3g} -> {mb:.3g}{spread}"))
    return out


def _grew(old: float | None, new: float | None, tol: float) -> bool:
    if old is None or new is None:
        return False
    if old <= 0:
        return new > 0  # from free to paid
    return (new - old) / old > tol


def _pct_up(old: float, new: float) -> str:
    return f"+{(new / old - 1) * 100:.0f}%" if old > 0 else "was 0"


def _model_regressions(model: str, old: list[Outcome], new: list[Outcome], tol: Tolerances) -> list[Regression]:
    out = []
    lat_a = percentile([o.total_ms for o in old if o.status not in ("error", "cancelled") and o.total_ms is not None], 95)
    lat_b = percentile([o.total_ms for o in new if o.status not in ("error", "cancelled") and o.total_ms is not None], 95)
    if lat_a is not None and lat_b is not None and _grew(lat_a, lat_b, tol.latency) and lat_b - lat_a >= tol.latency_floor_ms:
        out.append(Regression("latency", model, None, round(lat_a, 1), round(lat_b, 1),
                              f"p95 latency {lat_a / 1000:.2f}s -> {lat_b / 1000:.2f}s "
                              f"({_pct_up(lat_a, lat_b)}, tolerance {tol.latency * 100:.0f}% and "
                              f"{tol.latency_floor_ms:.0f} ms)"))
    cost_a = _mean([o.cost_usd for o in old if o.cost_usd is not None])
    cost_b = _mean([o.cost_usd for o in new if o.cost_usd is not None])
    if _grew(cost_a, cost_b, tol.cost):
        assert cost_a is not None and cost_b is not None
        out.append(Regression("cost", model, None, cost_a, cost_b,
                              f"cost per answer ${cost_a:.6f} -> ${cost_b:.6f} "
                              f"({_pct_up(cost_a, cost_b)}, tolerance {tol.cost * 100:.0f}%)"))
    return out


def _paired(old: list[Outcome], new: list[Outcome], model_regs: list[Regression], model: str) -> dict[str, Any]:
    """The paired decision for one model: exact McNemar on per-case pass/fail (repeats folded: a case
    passes when at least half its repeats do), sign tests on per-case check score and cost, and p95
    latency's bootstrap intervals. Each is a regression only when significant (p < 0.05) in the
    worse direction; latency and cost also need their tolerance (``model_regs``) to be exceeded."""
    from tuiarena.scoring import stats as st

    def per_case(rows: list[Outcome], attr: str) -> dict[str, float]:
        acc: dict[str, list[float]] = {}
        for o in rows:
            v = getattr(o, attr)
            if v is not None:
                acc.setdefault(o.key, []).append(float(v))
        return {k: sum(v) / len(v) for k, v in acc.items()}

    out: dict[str, Any] = {}
    reasons: list[str] = []
    pa, pb = per_case(old, "passed"), per_case(new, "passed")
    shared = [k for k in pa if k in pb]
    if shared:
        lost = sum(1 for k in shared if pa[k] >= 0.5 > pb[k])
        gained = sum(1 for k in shared if pb[k] >= 0.5 > pa[k])
        p = st.mcnemar_exact(lost, gained)
        out["mcnemar"] = {"now_fail": lost, "now_pass": gained, "cases": len(shared), "p": p}
        if lost > gained and p < 0.05:
            reasons.append(f"pass/fail: {lost} case(s) now fail, {gained} now pass (McNemar p = {p:.2g})")
    for attr, label in (("check_score", "score"), ("cost_usd", "cost")):
        a, b = per_case(old, attr), per_case(new, attr)
        ks = [k for k in a if k in b]
        worse = sum(1 for k in ks if (b[k] < a[k] if attr == "check_score" else b[k] > a[k]))
        better = sum(1 for k in ks if (b[k] > a[k] if attr == "check_score" else b[k] < a[k]))
        if not ks:
            continue
        p = st.sign_test(worse, better)
        out[f"sign_{label}"] = {"worse": worse, "better": better, "cases": len(ks), "p": p}
        tolerated = attr == "cost_usd" and not any(r.kind == "cost" and r.model == model for r in model_regs)
        if worse > better and p < 0.05 and not tolerated:
            reasons.append(f"{label}: worse in {worse} case(s), better in {better} (sign test p = {p:.2g})")
    lat_a = [o.total_ms for o in old if o.status not in ("error", "cancelled") and o.total_ms is not None]
    lat_b = [o.total_ms for o in new if o.status not in ("error", "cancelled") and o.total_ms is not None]
    if lat_a and lat_b:
        ca = st.bootstrap_quantile(lat_a, 95, seed="baseline:old")
        cb = st.bootstrap_quantile(lat_b, 95, seed="baseline:new")
        out["latency_p95_ci_ms"] = {"old": list(ca) if ca else None, "new": list(cb) if cb else None}
        over = any(r.kind == "latency" and r.model == model for r in model_regs)
        if over and ca and cb and cb[0] > ca[1]:
            reasons.append(f"p95 latency: 95% intervals {ca[0]:,.0f}–{ca[1]:,.0f} ms before, {cb[0]:,.0f}–{cb[1]:,.0f} ms now")
    out["regressed"] = bool(reasons)
    out["reasons"] = reasons
    return out


def compare_logs(baseline_log: Any, new_log: Any, tolerances: Tolerances | None = None,
                 model_map: dict[str, str] | None = None) -> BaselineResult:
    """Every regression of ``new_log`` against ``baseline_log`` (both SessionLog-like)."""
    tol = tolerances or Tolerances()
    old = _group(outcomes(baseline_log.events))
    new = _group(outcomes(new_log.events))
    mapping = dict(model_map or {})
    result = BaselineResult(getattr(baseline_log.header, "session_id", ""), getattr(new_log.header, "session_id", ""))
    used_old: set[str] = set()
    cases: set[tuple[str, str]] = set()
    case_regs: list[Regression] = []
    model_regs: list[Regression] = []
    for model, new_cases in new.items():
        old_model = mapping.get(model, model)
        old_cases = old.get(old_model)
        if old_cases is None:
            result.skipped_models.append(model)
            continue
        used_old.add(old_model)
        result.compared_models.append(model)
        old_rows: list[Outcome] = []
        new_rows: list[Outcome] = []
        for key, rows in new_cases.items():
            before = old_cases.get(key)
            if before is None:
                continue
            cases.add((model, key))
            old_rows += before
            new_rows += rows
            case_regs += _case_regressions(model, before, rows, tol)
        model_regs += _model_regressions(model, old_rows, new_rows, tol)
        result.paired[model] = _paired(old_rows, new_rows, model_regs, model)
    result.skipped_models += [m for m in old if m not in used_old and m not in result.skipped_models]
    result.compared_cases = len({k for _m, k in cases})
    order = {k: i for i, k in enumerate(KINDS)}
    result.regressions = sorted(case_regs, key=lambda r: order[r.kind]) + model_regs
    return result


def find_regressions(baseline_log: Any, new_log: Any, tolerances: Tolerances | None = None,
                     model_map: dict[str, str] | None = None) -> list[Regression]:
    """The list form of :func:`compare_logs`."""
    return compare_logs(baseline_log, new_log, tolerances, model_map).regressions


def render(result: BaselineResult, markdown: bool = False) -> str:
    """A short report: one line per regression, or a line saying there are none."""
    from tuiarena import fmt

    head = (f"Baseline {result.baseline_session}: {len(result.compared_models)} model(s), "
            f"{result.compared_cases} case(s) compared")
    lines = [("## " if markdown else "") + head]
    if markdown:
        lines.append("")
    if result.skipped_models:
        lines.append(f"not compared (in one session only): {', '.join(result.skipped_models)}")
    decided = [(m, why) for m, p in result.paired.items() for why in p["reasons"]]
    if decided:
        lines.append(f"REGRESSION (paired tests, p < 0.05): {len(decided)} finding(s):")
        lines.extend(f"- {m}: {fmt.visible(why)}" for m, why in decided)
    else:
        lines.append("no regressions decided by the paired tests")
    if result.regressions:
        lines.append(f"{len(result.regressions)} change(s) for the worse, case by case"
                     + ("" if decided else " (not significant on their own)") + ":")
        for r in result.regressions:
            lines.append(f"- {r.kind} {r.model}: {fmt.visible(r.detail)}")
    return "\n".join(lines)


__all__ = ["KINDS", "BaselineResult", "Regression", "Tolerances", "compare_logs", "find_regressions", "render"]
