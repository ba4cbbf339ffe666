"""The API keys and URL credentials this process knows about, and ``redact`` to blank them.

A key is known by the *name* of the variable holding it: every ``api_key_env`` of a configured
endpoint and every variable discovery looks for is registered with ``watch_env`` (config and
discovery do it as they read); its value is read from the environment when ``redact`` runs, so a
key exported later is still caught. Variables whose names look like keys (``*_API_KEY``,
``*_TOKEN``, ...) are blanked too, as a second net. Credentials written into a URL
(``http://user:key@host/v1``) are blanked wherever a URL appears, and the password of a
configured ``base_url`` wherever it appears.

``redact`` is applied where server text becomes a stored or shown event (the runner), in every
export and in error lines printed by the CLI. Values shorter than ``MIN_CHARS`` are not treated
as secrets (blanking ``"x"`` everywhere would destroy the text and protect nothing).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

MIN_CHARS = 6
MASK = "[redacted]"

_NAMES: set[str] = set()
_VALUES: set[str] = set()
_KEYLIKE = re.compile(r"(API_?KEY|_KEY|_TOKEN|_SECRET|ACCESS_KEY|PASSWORD)$", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?<=://)[^\s/@:]*(?::[^\s/@]*)?@")


def watch_env(*names: str) -> None:
    """Treat the values of these environment variables as secrets."""
    _NAMES.update(n for n in names if n)


def watch_value(value: str) -> None:
    """Treat this literal value as a secret (a password found in a URL)."""
    if value and len(value) >= MIN_CHARS:
        _VALUES.add(value)


def watch_url(url: str) -> None:
    """Register the user name and password written into ``url``, if any."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    for piece in (parts.password, parts.username):
        if piece:
            watch_value(piece)
            watch_value(unquote(piece))


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """Every known secret value, longest first (so a key containing another is blanked whole)."""
    env = os.environ if environ is None else environ
    found = set(_VALUES)
    for name, value in env.items():
        if name in _NAMES or _KEYLIKE.search(name):
            value = value.strip()
            if len(value) >= MIN_CHARS:
                found.add(value)
    return sorted(found, key=len, reverse=True)


def redact(text: str, environ: dict[str, str] | None = None, values: list[str] | None = None) -> str:
    """``text`` with every known secret and every URL's ``user:password@`` replaced by ``[redacted]``.

    ``values``: the secrets to blank (``secret_values()`` taken once for many texts)."""
    if not text:
        return text
    for value in secret_values(environ) if values is None else values:
        if value in text:
            text = text.replace(value, MASK)
    if "@" in text:
        text = _URL_CREDENTIALS.sub(MASK + "@", text)
    return text


def forget_all() -> None:
    """Tests only: start from nothing known."""
    _NAMES.clear()
    _VALUES.clear()


__all__ = ["MASK", "redact", "secret_values", "watch_env", "watch_url", "watch_value"]
