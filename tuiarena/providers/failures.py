"""Failed requests as one ``ProviderError`` whose message points at the fix.

``map_error`` turns what the openai SDK raised (after its retries) into a ProviderError for an
endpoint; the message says what happened, what the server asked for and what to change:

* 401 names the key variable (unset, or set and rejected); 403 is a permission problem (the key
  was accepted), never "set KEY";
* 404 from a ``base_url`` that does not end in ``/v1`` says so;
* an HTML error page (a proxy's 502) is summarised to its title, never pasted;
* ``Retry-After`` longer than the SDK will wait (two minutes) is reported ("asked to wait 1 h"),
  not waited for;
* timeouts name the limit (connect, silence, overall deadline), its value and the attempts made.

Nothing here keeps state; ``base_url`` is always shown without its credentials (``safe_url``).
"""

from __future__ import annotations

import html
import math
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tuiarena.model import EndpointSpec, ProviderError

DETAIL_CHARS = 300
SDK_MAX_RETRY_AFTER_S = 120.0  # openai's MAX_RETRY_AFTER_DELAY: a longer Retry-After is not waited for

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_STREAM_OPTIONS = re.compile(r"stream_options|include_usage", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``url`` without ``user:password@`` (credentials never reach a message)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def human_duration(seconds: float) -> str:
    """``3600`` -> ``1 h``, ``90`` -> ``1.5 min``, ``2.5`` -> ``2.5 s``."""
    if not math.isfinite(seconds):
        return "forever"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 60:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def retry_after_s(headers: Any) -> float | None:
    """The wait a response asked for (``retry-after-ms``, ``retry-after`` seconds or HTTP date)."""
    if headers is None:
        return None
    for name, div in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / div
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        import email.utils
        import time

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return None


def summarise_body(body: Any, text: str = "", status_line: str = "") -> str:
    """One short line for an error body: the JSON error's message, an HTML page's title (or first
    heading, or the status line), else the text cut to ``DETAIL_CHARS``."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            msg = inner.get("message") or inner.get("detail") or inner.get("error")
            if msg:
                return _clip(str(msg))
        elif isinstance(inner, str) and inner:
            return _clip(inner)
        import json

        return _clip(json.dumps(body, ensure_ascii=False))
    raw = body if isinstance(body, str) else text
    raw = (raw or "").strip()
    if _looks_html(raw):
        for pattern in (_TITLE, _H1):
            m = pattern.search(raw)
            if m:
                title = _SPACE.sub(" ", html.unescape(_TAG.sub("", m.group(1)))).strip()
                if title:
                    return f"an HTML error page: {_clip(title, 120)}"
        return f"an HTML error page{f' ({status_line})' if status_line else ''}"
    return _clip(_SPACE.sub(" ", raw)) if raw else (status_line or "no details")


def _looks_html(text: str) -> bool:
    head = text[:200].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<title" in text[:2000].lower()


def _clip(text: str, limit: int = DETAIL_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def about_stream_options(exc: Any) -> bool:
    """Is a 400 about ``stream_options`` (so a retry without it may work)?"""
    parts = [str(getattr(exc, "message", "") or ""), str(getattr(exc, "body", "") or "")]
    return any(_STREAM_OPTIONS.search(p) for p in parts)


def _status_line(exc: Any) -> str:
    response = getattr(exc, "response", None)
    phrase = getattr(response, "reason_phrase", "") if response is not None else ""
    if isinstance(phrase, bytes):
        phrase = phrase.decode("latin-1", "replace")
    return f"{exc.status_code} {phrase}".strip()


def _detail(exc: Any) -> str:
    response = getattr(exc, "response", None)
    text = ""
    if response is not None and exc.body is None:
        try:
            text = response.text
        except Exception:  # noqa: BLE001 - the body was never read
            text = ""
    body = exc.body if exc.body is not None else text
    return summarise_body(body, exc.message if not body else "", _status_line(exc))


def _attempts(retries: int) -> str:
    return plural(retries + 1, "attempt")


def map_status(exc: Any, spec: EndpointSpec, retries: int, key_set: bool) -> ProviderError:
    """A 4xx/5xx ``openai.APIStatusError`` (after the SDK's retries) as a ProviderError."""
    status = int(exc.status_code)
    where = f"from {spec.name}"
    detail = _detail(exc)
    env = spec.api_key_env
    wait = retry_after_s(getattr(getattr(exc, "response", None), "headers", None))
    if wait is not None and wait > SDK_MAX_RETRY_AFTER_S:
        kind = "rate_limit" if status == 429 else "server"
        return ProviderError(
            kind,
            f"{status} {where}: the server asked to wait {human_duration(wait)} (Retry-After) before trying "
            f"again; not retried, try later ({detail})",
            status,
        )
    if status == 401:
        if not env:
            hint = f"endpoint '{spec.name}' has no api_key_env; name the variable holding its key in config.toml"
        elif key_set:
            hint = f"the key in {env} was rejected; check it ({detail})"
        else:
            hint = f"{env} is not set; export it ({detail})"
        return ProviderError("auth", f"401 {where}: {hint}", status)
    if status == 403:
        return ProviderError(
            "auth",
            f"403 {where}: permission denied: the key was accepted but may not use this model or "
            f"endpoint (check the account's access or the model name) ({detail})",
            status,
        )
    if status == 429:
        return ProviderError("rate_limit", f"429 {where}: rate limited after {_attempts(retries)}: {detail}", status)
    if status == 404:
        path = urlsplit(safe_url(spec.base_url)).path.rstrip("/")
        hint = ""
        if not re.search(r"/v\d+(beta|alpha)?\d*(/openai)?$", path):
            hint = (f"; base_url {safe_url(spec.base_url)!r} does not end in /v1: most OpenAI-compatible "
                    f"servers want e.g. {safe_url(spec.base_url).rstrip('/') + '/v1'!r}")
        return ProviderError("not_found", f"404 {where}: {detail}{hint}", status)
    if status >= 500:
        made = f" after {_attempts(retries)}" if retries else ""
        return ProviderError("server", f"{status} {where}{made}: {detail}", status)
    return ProviderError("bad_request", f"{status} {where}: {detail}", status)


def map_timeout(exc: Any, spec: EndpointSpec, retries: int) -> ProviderError:
    """A timeout raised while opening the response: which limit, how long, how many attempts."""
    cause = exc.__cause__ or exc
    name = "ReadTimeout" if getattr(exc, "silent_server", False) else type(cause).__name__
    url = safe_url(spec.base_url)
    if name == "ConnectTimeout":
        what = f"could not connect to {url} within {human_duration(spec.connect_timeout_s)} (connect_timeout_s)"
    elif name == "WriteTimeout":
        what = f"could not send the request to {url} within {human_duration(spec.timeout_s)} (timeout_s)"
    elif name == "PoolTimeout":
        what = f"no free connection to {url} within {human_duration(spec.timeout_s)} (timeout_s)"
    else:
        what = (f"{url} accepted the request but sent nothing for {human_duration(spec.timeout_s)} "
                f"(silence limit, timeout_s)")
    return ProviderError("timeout", f"{what}; gave up after {_attempts(retries)}")


def silent_stream(spec: EndpointSpec, chars: int, retries: int) -> ProviderError:
    """The body went silent for longer than the silence limit."""
    return ProviderError(
        "timeout",
        f"{safe_url(spec.base_url)} went silent for {human_duration(spec.timeout_s)} (silence limit, timeout_s) "
        f"after {plural(chars, 'char')}; {_attempts(retries)}",
    )


def past_deadline(spec: EndpointSpec | None, endpoint: str, deadline_s: float, chars: int, retries: int) -> ProviderError:
    """The whole response took longer than the overall deadline."""
    url = safe_url(spec.base_url) if spec is not None else endpoint
    return ProviderError(
        "timeout",
        f"no complete answer from {url} within the overall deadline of {human_duration(deadline_s)} "
        f"(deadline_s) after {plural(chars, 'char')}; {_attempts(retries)}",
    )


def map_error(exc: BaseException, spec: EndpointSpec, retries: int, key_set: bool) -> ProviderError:
    """Anything the SDK raised as a ProviderError (see the module docstring)."""
    import openai

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, openai.APIStatusError):
        return map_status(exc, spec, retries, key_set)
    if isinstance(exc, openai.APITimeoutError):
        return map_timeout(exc, spec, retries)
    url = safe_url(spec.base_url)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return ProviderError("connection", f"cannot reach {url}: {cause or type(cause).__name__}; {_attempts(retries)}")
    return ProviderError("connection", f"{type(exc).__name__} talking to {url}: {exc}")


__all__ = [
    "about_stream_options", "human_duration", "map_error", "map_status", "map_timeout", "past_deadline",
    "retry_after_s", "safe_url", "silent_stream", "summarise_body",
]
