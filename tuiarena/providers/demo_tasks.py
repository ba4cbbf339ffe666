"""Task-shaped answers of the demo models: labels, extractions, summaries, JSON and a judge's grades.

Each function reads the instruction the way a model would (a label list, the fields to extract, a
word limit, tuiarena's judge prompt) and answers in kind, right about as often as the simulated
model's skill says, so a suite run offline shows realistic spreads. Pure and deterministic for a
given ``random.Random`` state; ``tuiarena.providers.demo`` decides when each applies.
"""

from __future__ import annotations

import json
import random
import re

_KEY = re.compile(r"[\"'`]([A-Za-z_][A-Za-z0-9_]{0,30})[\"'`]")


def pick(rng: random.Random, *options: str) -> str:
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


def extract(fields: list[tuple[str, str]], text: str, rng: random.Random, skill: float) -> str:
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


def extraction_answer(system: str, prompt: str, rng: random.Random, model: str) -> str | None:
    """A JSON object with the fields an extraction instruction names (``"name" (the customer's name)``)."""
    fields = _FIELD.findall(system + "\n" + prompt)
    if not fields:
        return None
    skill = {"verbose": 0.9, "thinker": 0.99, "steady": 0.85, "swift": 0.65}.get(model, 0.5)
    text = extract(fields, prompt, rng, skill)
    if model == "swift" and rng.random() < 0.25:  # a fast model's slip: Python's repr, not JSON
        text = repr(json.loads(text))
    return text


def judge_reply(system: str, prompt: str, rng: random.Random, model: str) -> str | None:
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


def label_answer(system: str, prompt: str, rng: random.Random, model: str) -> str | None:
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


def summary_answer(prompt: str, rng: random.Random, model: str) -> str | None:
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


def json_answer(prompt: str, words: list[str], rng: random.Random) -> str:
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
                obj[k] = pick(rng, "Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson")
            elif k.lower().startswith(("is_", "has_")):
                obj[k] = bool(rng.randrange(2))
            else:
                obj[k] = words[i % len(words)] if words else f"value {i + 1}"
    return json.dumps(obj, indent=None if rng.randrange(2) else 2)
