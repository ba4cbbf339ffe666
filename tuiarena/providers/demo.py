"""Offline, deterministic simulated models (``demo/...``): the embedded default and the test fixture.

Answers are built from templates around the prompt's topic words, streamed at model-specific
speeds with ``asyncio.sleep`` (sleeps are coalesced to >= 5 ms, so ``speed=1000`` is instant
without a sleep per token). The same seed, model, messages (and ``params.seed``) always give
the same text. Usage is reported as a server would: prompt tokens estimated from characters / 4,
completion tokens counted from the streamed pieces.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tuiarena.model import (
    Message,
    Params,
    ProviderError,
    StreamEvent,
    StreamFinish,
    TextDelta,
    UsageInfo,
)
from tuiarena.providers.base import ModelInfo

MIN_SLEEP = 0.005


@dataclass(frozen=True, slots=True)
class DemoProfile:
    ttft: float  # seconds
    rate: float  # tokens per second
    style: str
    blurb: str


PROFILES: dict[str, DemoProfile] = {
    "swift": DemoProfile(0.12, 180.0, "short", "fast and short"),
    "steady": DemoProfile(0.40, 60.0, "medium", "steady pace, structured"),
    "thinker": DemoProfile(0.30, 55.0, "thinker", "reasons first, then answers"),
    "verbose": DemoProfile(0.25, 110.0, "long", "long markdown with code and a table"),
    "terse": DemoProfile(0.20, 90.0, "terse", "one or two sentences"),
    "flaky": DemoProfile(0.35, 80.0, "medium", "sometimes fails or cuts off"),
}

_STOP = set(
    """a an the and or but if then else of to in on at by for with from about into over under is are was
    were be been being do does did have has had this that these those it its as what which who whom whose
    why how when where can could should would will shall may might must please me my we our you your i
    give tell explain write make list show describe some any all more most less very just also than so
    not no yes there their them they he she his her using use each between vs versus like return json
    output format answer question reply respond only""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+#.\-]*[A-Za-z0-9+#]|[A-Za-z]")
_ARITH = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×])\s*(-?\d+(?:\.\d+)?)")
_KEY = re.compile(r"[\"'`]([A-Za-z_][A-Za-z0-9_]{0,30})[\"'`]")
_PIECE = re.compile(r"\s*\S{1,6}|\s+")


def _topic(text: str) -> list[str]:
    seen: list[str] = []
    for w in _WORD.findall(text):
        lw = w.lower()
        if len(w) > 2 and lw not in _STOP and lw not in seen:
            seen.append(lw)
    return seen[:4]


def _arith(text: str) -> str | None:
    m = _ARITH.search(text)
    if not m:
        return None
    a, op, b = float(m.group(1)), m.group(2), float(m.group(3))
    if op in "x×*":
        v = a * b
    elif op == "/":
        if b == 0:
            return None
        v = a / b
    else:
        v = a + b if op == "+" else a - b
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"


def _pick(rng: random.Random, *options: str) -> str:
    return options[rng.randrange(len(options))]


# `"issue" (one of: "a", "b")` or `"name" (the customer's name)` in an extraction instruction
_FIELD = re.compile(r"[\"']([A-Za-z_][A-Za-z0-9_]{0,30})[\"']\s*\(([^)]*)\)")
_OPTION = re.compile(r'"([^"]{1,40})"')
_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_PERSON = re.compile(rf"(?<![{_UPPER}{_LOWER}])([{_UPPER}][{_LOWER}]+(?:[ -](?:[{_UPPER}]')?[{_UPPER}][{_LOWER}']+)+)")
_INTRO = re.compile(r"(?:my name is|i'm|i am|this is|soy|je m'appelle|ich bin)\s+$", re.I)
_NOT_NAMES = {"Hi", "Hello", "Dear", "Order", "Thanks", "On", "Re", "Monday", "Tuesday", "Wednesday", "Thursday",
              "Friday", "Saturday", "Sunday", "Oh", "Hola", "Bonjour", "Truly", "Please", "Your", "The"}
_NEGATIVE = ("disappoint", "frustrat", "angry", "terrible", "awful", "unacceptable", "worst", "broken", "damaged",
             "still", "never", "again", "ridiculous", "furious", "upset", "annoy", "twice", "can't", "cannot",
             "not happy", "useless", "great job", "wonderful, ", "!!", "ignored", "money back", "nobody", "??",
             "crash", "smashed", "molesto", "missing its", "day nine", "oh fantastic", "in pieces", "stopped working")
_CUES = {  # words a reader would take as a sign of each common support label
    "damaged order": ("damaged", "broken", "crushed", "cracked", "smashed"),
    "late delivery": ("late", "delayed", "hasn't arrived", "not arrived", "still waiting", "tracking", "retard",
                      "day nine", "parcel", "still nothing"),
    "wrong item": ("nothing wrong@", "instead", "asked for", "incorrect", "au lieu", "mauvais", "got a red", "wrong item"),
    "missing item": ("missing", "not included", "wasn't in", "no charger", "forgot", "without the"),
    "refund request": ("refund", "money back", "reembolso"),
    "billing error": ("charged", "invoice", "bill", "vat", "cobr", "factura", "twice"),
    "login problem": ("log in", "login", "password", "2fa", "locked out", "sign in"),
    "account deletion": ("delete", "close my account", "gdpr", "erase", "remove my", "deletion"),
    "bug report": ("crash", "bug", "error", "sync", "freez"),
    "feature request": ("would be nice", "feature", "please add", "dark mode", "could you add", "wish"),
}
_POSITIVE = ("thank", "love", "great", "awesome", "excellent", "happy", "appreciate", "perfect", "wonderful")


def _extract(fields: list[tuple[str, str]], text: str, rng: random.Random, skill: float) -> str:
    """A plausible extraction: a simulated model that reads the ticket, right about ``skill`` of the time."""
    low = text.lower()
    obj: dict[str, object] = {}
    for key, hint in fields:
        options = _OPTION.findall(hint)
        if "name" in key.lower():
            found = [(m.group(1), m.start()) for m in _PERSON.finditer(text) if m.group(1).split()[0] not in _NOT_NAMES]
            intro = [p for p, at in found if _INTRO.search(text[max(0, at - 20):at])]
            people = intro or [p for p, _ in found[-1:]]  # introduced by name, else the signature at the end
            value = people[0] if people and rng.random() <= skill + 0.1 else "unknown"
        elif options:
            def overlap(opt: str) -> int:
                cues = _CUES.get(opt.lower(), ()) + tuple(w for w in re.findall(r"[a-z]{4,}", opt.lower()) if w != "order")
                return sum(c in low for c in cues if not c.endswith("@")) - sum(c[:-1] in low for c in cues if c.endswith("@"))
            if key.lower() == "sentiment" or {"positive", "negative"} <= set(options):
                neg = sum(w in low for w in _NEGATIVE)
                pos = sum(w in low for w in _POSITIVE) + 2 * ("pleasure" in low)
                if neg and "thank" in low and "oh fantastic" not in low:
                    pos += 1
                polite = "can you" in low and "thank" in low and not neg  # a calm request: neutral
                best = "neutral" if polite else "negative" if neg > pos else "positive" if pos > neg else "neutral"
                value = best if best in options else options[-1]
            else:
                value = max(options, key=lambda o: (overlap(o), o == "other"))
            if rng.random() > skill:
                value = options[rng.randrange(len(options))]
        else:
            value = " ".join(re.findall(r"[A-Za-z]{4,}", text)[:4]) or "unknown"
        obj[key] = value
    return json.dumps(obj, indent=None if rng.randrange(2) else 2)


def _judge_reply(system: str, prompt: str, rng: random.Random, model: str) -> str | None:
    """A demo model asked to act as a judge (tuiarena's rubric or pairwise prompt) answers in kind,
    so the judge features can be tried offline. Its grades are simulated, like everything else."""
    instruction = system + "\n" + prompt
    if '"winner"' in instruction:
        pick = rng.choice(["A", "B", "A", "B", "tie"])
        return json.dumps({"winner": pick, "reason": f"demo judge: {'neither is clearly better' if pick == 'tie' else f'{pick} is more direct'}"})
    if '"correctness"' in instruction and '"verdict"' in instruction:
        answer = prompt.split("Candidate response:", 1)[-1]
        length = len(answer.split())
        grades = {
            "correctness": rng.randint(2, 5),
            "clarity": rng.randint(3, 5),
            "conciseness": 5 if length < 60 else 4 if length < 150 else rng.randint(2, 3),
        }
        total = sum(grades.values())
        verdict = "clear and on point" if total >= 12 else "usable but could be sharper" if total >= 9 else "misses the point"
        reply = json.dumps({**grades, "total": total, "verdict": f"demo judge: {verdict}"})
        return reply if model != "verbose" else f"Here is my assessment:\n```json\n{reply}\n```"
    return None


_LABELS = re.compile(r"(?:one (?:topic )?label|exactly one word|one of)\s*:\s*([^.]+)\.", re.I)
_LABEL_CUES = {
    "billing": ("billed", "charge", "invoice", "refund", "credit", "payment", "price"),
    "technical": ("error", "crash", "bug", "500", "broken", "doesn't work", "not working", "fails", "greyed",
                  "button", "still"),
    "shipping": ("tracking", "package", "delivery", "shipped", "parcel", "courier"),
    "account": ("password", "email", "login", "log in", "account", "username"),
    "sales": ("enterprise", "quote", "seats", "pricing", "plan", "upgrade", "demo"),
    "spam": ("prize", "winner", "click", "crypto", "free", "urgent", "$$$", "guaranteed", "bitcoin"),
    "ham": ("meeting", "invoice", "attached", "agenda", "thanks", "stand-up", "appointment", "move"),
    "p1": ("outage", "down", "data loss", "all users", "all customers", "cannot access", "lost", "production", "503",
           "revenue", "deleted"),
    "p2": ("workaround", "broken", "some users", "slow"),
    "p3": ("question", "how do", "minor", "typo", "?"),
    "mixed": ("but", "however", "although"),
    "sport": ("match", "league", "cup", "goal", "win", "champions", "champion", "olympic", "penalty", "semi-final"),
    "science": ("study", "research", "scientists", "telescope", "species"),
    "business": ("shares", "profit", "merger", "market", "company", "ceo"),
    "health": ("vaccine", "hospital", "disease", "patients", "health"),
    "culture": ("film", "festival", "museum", "music", "album", "art"),
    "politics": ("election", "minister", "parliament", "vote", "president"),
    "technology": ("app", "software", "ai", "chip", "phone"),
}
_SLOPPY = {"verbose": "The label is: {}.", "steady": "{}", "flaky": "{}"}


def _label_answer(system: str, prompt: str, rng: random.Random, model: str) -> str | None:
    """A classification instruction ("one label: a, b, c. Answer with the label only") gets a label,
    chosen from cue words, wrong about as often as the model's skill says; ``verbose`` wraps it in a
    sentence (which fails an exact check: a visible, realistic failure)."""
    m = _LABELS.search(system + " " + prompt)
    if not m or "label" not in (system + prompt).lower() and "one word" not in (system + prompt).lower():
        return None
    listed = re.sub(r"\(.*?\)", "", m.group(1))
    options = [o.strip().lower() for o in re.split(r",|\bor\b", listed)]
    options = [o for o in options if o and len(o) < 20]
    if len(options) < 2:
        return None
    low = prompt.lower()

    def has(word: str) -> bool:
        return re.search(r"(?<![a-z])" + re.escape(word) + r"(?![a-z])", low) is not None

    def cue(opt: str) -> float:
        if opt in ("positive", "negative", "neutral", "mixed"):
            neg = sum(has(w) for w in (*_NEGATIVE, "broke", "worst", "five stars for"))
            pos = sum(has(w) for w in (*_POSITIVE, "gorgeous", "best", "lasts", "fantastic"))
            return {"positive": pos - neg, "negative": neg - pos + 0.5 * has("wow"),
                    "neutral": 0.4 if pos == neg == 0 else 0,
                    "mixed": 0.6 + pos if pos and has("but") else 0}[opt]
        return sum(has(c) for c in _LABEL_CUES.get(opt, (opt,))) + 0.1 * has(opt)

    plain = [o for o in ("other", "neutral", "ham", "p3") if o in options]
    label = max(options, key=lambda o: (cue(o), o in plain))
    skill = {"thinker": 0.95, "terse": 0.9, "steady": 0.95, "verbose": 0.9, "swift": 0.7}.get(model, 0.6)
    if rng.random() > skill:
        label = options[rng.randrange(len(options))]
    return _SLOPPY.get(model, "{}").format(label)


_LIMIT = re.compile(r"at most (\d+) words", re.I)


def _summary_answer(prompt: str, rng: random.Random, model: str) -> str | None:
    """A "summarise ... at most N words" request gets the document's lead sentences: ``terse`` and
    ``thinker`` keep to the limit, ``swift`` often runs over it, ``verbose`` ignores it."""
    if "summari" not in prompt.lower():
        return None
    doc = prompt.split("---", 1)[-1].strip()
    sentences = re.split(r"(?<=[.!?])\s+", doc)
    m = _LIMIT.search(prompt)
    limit = int(m.group(1)) if m else 60
    take = {"verbose": len(sentences), "swift": 2, "thinker": 2}.get(model, 1)
    if model in ("thinker", "steady"):  # the careful ones keep the sentences dense with facts (numbers, names)
        dense = sorted(range(len(sentences)), key=lambda i: -len(re.findall(r"\d|\b[A-Z][a-z]+", sentences[i])))
        chosen = sorted(dense[:take + 1])
        words = " ".join(sentences[i] for i in chosen).split()
    else:
        words = " ".join(sentences[:take]).split()
    if model in ("terse", "thinker", "steady") or (model == "swift" and rng.random() < 0.5):
        words = words[:limit]
    text = " ".join(words)
    if model == "verbose":
        text = "Here is a summary of the document:\n\n" + text
    return text if text.endswith((".", "!", "?")) else text.rstrip(",;:") + "."


def _json_answer(prompt: str, words: list[str], rng: random.Random) -> str:
    keys = [k for k in dict.fromkeys(_KEY.findall(prompt)) if k.lower() != "json"][:6]
    topic = " ".join(words[:2]) or "the request"
    if not keys:
        obj = {"topic": topic, "answer": f"A short note on {topic}.", "confidence": round(rng.uniform(0.6, 0.95), 2)}
    else:
        obj = {}
        for i, k in enumerate(keys):
            if any(s in k.lower() for s in ("count", "age", "year", "number", "total", "n_")):
                obj[k] = rng.randrange(1, 100)
            elif "name" in k.lower():
                obj[k] = _pick(rng, "Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson")
            elif k.lower().startswith(("is_", "has_")):
                obj[k] = bool(rng.randrange(2))
            else:
                obj[k] = words[i % len(words)] if words else f"value {i + 1}"
    return json.dumps(obj, indent=None if rng.randrange(2) else 2)


def compose(model: str, messages: list[Message], rng: random.Random, want_json: bool) -> tuple[str, str]:
    """(reasoning, answer) for a demo model; pure and deterministic for a given rng state."""
    prompt = ""
    for m in reversed(messages):
        if m.get("role") == "user":
            prompt = str(m.get("content") or "")
            break
    words = _topic(prompt)
    topic = " ".join(words[:3]) or "your question"
    first = words[0] if words else "this"
    style = PROFILES.get(model, PROFILES["steady"]).style
    calc = _arith(prompt)
    lead = f"The answer is {calc}. " if calc else ""
    reasoning = ""
    if style == "thinker":
        reasoning = (
            f"The user is asking about {topic}. Let me break this down. "
            f"First, what does {first} mean here? "
            + _pick(rng, "There are a couple of readings; ", "The most likely reading is the practical one; ")
            + "I should cover the core idea, a trade-off, and one concrete example. "
            + (f"There is arithmetic: the result is {calc}. " if calc else "")
            + _pick(rng, "Keep it short and check the claim before answering.",
                    "Make sure the answer is direct, then add one caveat.")
        )
    system_text = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    if not want_json:
        for special in (_label_answer(system_text, prompt, rng, model), _summary_answer(prompt, rng, model)):
            if special is not None:
                return reasoning, special
    if want_json:
        system = system_text
        judged = _judge_reply(system, prompt, rng, model)
        if judged is not None:
            return reasoning, judged
        fields = _FIELD.findall(system + "\n" + prompt)
        if fields:
            skill = {"verbose": 0.9, "thinker": 0.99, "steady": 0.85, "swift": 0.65}.get(model, 0.5)
            return reasoning, _extract(fields, prompt, rng, skill)
        return reasoning, _json_answer(prompt, words, rng)
    if style == "terse":
        return reasoning, lead + _pick(
            rng,
            f"In short: {topic} comes down to a clear goal and a simple first step.",
            f"{topic.capitalize()} is best approached incrementally; start small and measure.",
            f"Briefly, {topic} depends on context, but the common answer is to keep it simple.",
        )
    opener = _pick(rng, "Here is a quick overview", "Good question", "Short version", "Let's look at it")
    bullets = [
        f"- **{w.capitalize()}**: " + _pick(rng, "the central idea to get right", "often misunderstood",
                                            "worth measuring before optimising", "depends on your constraints")
        for w in (words or ["scope", "trade-offs", "next steps"])[:3]
    ]
    if style == "short":
        about = f" of {topic}" if words else ""
        return reasoning, f"{lead}{opener}{about}:\n\n" + "\n".join(bullets) + "\n"
    if style == "thinker":
        return reasoning, (f"{lead}**{topic.capitalize()}**, in brief:\n\n" + "\n".join(bullets)
                           + "\n\nOne caveat: the details depend on your setup.\n")
    step_pool = [f"Define what {first} should achieve.", f"Try the simplest version of {first}.",
                 "Measure the result.", "Compare with an alternative.", "Write down what you learned."]
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(rng.sample(step_pool, 3), 1))
    text = f"## {topic.capitalize()}\n\n{lead}{opener}. " + _pick(
        rng, f"{topic.capitalize()} is easier to reason about in small steps.",
        f"Most questions about {topic} have a practical answer.",
    ) + f"\n\n{steps}\n\n" + "\n".join(bullets) + "\n"
    if style == "long":
        ident = re.sub(r"\W+", "_", first).strip("_") or "topic"
        text += (
            f"\n### Example\n\n```python\ndef explain_{ident}(level: int = 1) -> str:\n"
            f"    \"\"\"A toy helper about {topic}.\"\"\"\n    return \"{first} \" * level\n\n"
            f"print(explain_{ident}(2))\n```\n\n"
            "### Comparison\n\n| Aspect | Simple approach | Careful approach |\n|---|---|---|\n"
            f"| Effort | low | higher |\n| Risk with {first} | moderate | low |\n| When | prototypes | production |\n\n"
            + _pick(rng, "In summary, start simple and refine.", "Overall: measure first, then decide.")
            + "\n"
        )
    else:
        text += "\n" + _pick(rng, "Hope this helps.", "That should get you started.") + "\n"
    return reasoning, text


def _pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


class DemoProvider:
    name = "demo"

    def __init__(self, seed: int = 0, speed: float = 1.0, max_concurrency: int = 16):
        self.seed = seed
        self.speed = max(float(speed), 1e-6)
        self.max_concurrency = max_concurrency

    async def list_models(self) -> list[ModelInfo]:
        return [
            ModelInfo("demo", m, demo=True, context_length=8192, description=f"offline demo (simulated): {p.blurb}")
            for m, p in PROFILES.items()
        ]

    async def aclose(self) -> None:
        return None

    def _rng(self, model: str, messages: list[Message], params: Params) -> random.Random:
        key = json.dumps([self.seed, params.seed, model, messages], sort_keys=True, default=str)
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    async def stream(self, model: str, messages: list[Message], params: Params) -> AsyncIterator[StreamEvent]:
        if model not in PROFILES:
            raise ProviderError("not_found", f"demo has no model '{model}': try {', '.join(PROFILES)}", 404)
        prof = PROFILES[model]
        rng = self._rng(model, messages, params)
        fate = rng.randrange(6) if model == "flaky" else 5
        last_user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        want_json = params.response_format != "text" or "json" in (last_user + " " + system).lower()
        reasoning, answer = compose(model, messages, rng, want_json)
        r_pieces, a_pieces = _pieces(reasoning), _pieces(answer)
        finish = "stop"
        if params.max_tokens is not None and len(a_pieces) > params.max_tokens:
            a_pieces, finish = a_pieces[: max(params.max_tokens, 0)], "length"
        cut_at = len(a_pieces) // 2 if fate == 2 else None
        ttft = prof.ttft * rng.uniform(0.85, 1.15) / self.speed
        step = 1.0 / (prof.rate * self.speed)
        start = time.perf_counter()
        await asyncio.sleep(max(ttft, 0.0))
        if fate in (0, 1):
            raise ProviderError("server", "demo/flaky: simulated 503", 503)
        schedule = [(p, True) for p in r_pieces] + [(p, False) for p in a_pieces]
        if cut_at is not None:
            schedule = schedule[: len(r_pieces) + cut_at]
        i = 0
        n = len(schedule)
        while i < n:
            due = start + ttft + i * step
            delay = due - time.perf_counter()
            if delay >= MIN_SLEEP:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            # everything due by now goes out in one delta per kind
            j = i + 1
            while j < n and start + ttft + j * step <= now and schedule[j][1] == schedule[i][1]:
                j += 1
            yield TextDelta("".join(p for p, _ in schedule[i:j]), now, schedule[i][1])
            i = j
        if cut_at is not None:
            raise ProviderError("cut", "demo/flaky: simulated cut (stream ended without a finish)")
        t = time.perf_counter()
        yield StreamFinish(finish, t)
        prompt_chars = sum(len(str(m.get("content") or "")) for m in messages)
        yield UsageInfo(
            prompt_tokens=max(1, prompt_chars // 4),
            completion_tokens=len(r_pieces) + len(a_pieces),
            reasoning_tokens=len(r_pieces) or None,
        )
