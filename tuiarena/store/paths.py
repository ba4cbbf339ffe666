"""Where tuiarena keeps its files.

Layout (root = ``$TUIARENA_HOME`` or ``platformdirs.user_config_path("tuiarena")``)::

    config.toml        user configuration (see tuiarena.store.config)
    history.json       prompt history (kept out of config.toml so it never bloats it)
    sessions/          one JSON-lines event log per session, plus a rebuildable index.json
    themes/            the user's own themes (override shipped ones of the same name)
    cache/             anything that can be thrown away

Nothing is created at import time; the directory functions create what they return on demand
(mode 0700). Files we write go through :func:`write_private` (atomic, mode 0600).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../tuiarena


def home() -> Path:
    """The root folder for config and sessions (not created here)."""
    env = os.environ.get("TUIARENA_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_config_path("tuiarena")


def _ensure_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def config_file() -> Path:
    return home() / "config.toml"


def history_file() -> Path:
    return home() / "history.json"


def sessions_dir() -> Path:
    """The sessions folder, created (0700) on first use."""
    return _ensure_dir(home() / "sessions")


def user_themes_dir() -> Path:
    """The user's theme folder (not created: absent simply means "no user themes")."""
    return home() / "themes"


def cache_dir() -> Path:
    return _ensure_dir(home() / "cache")


def data_path(name: str) -> Path:
    """A shipped data folder ("themes" or "sample_suites").

    An installed wheel carries them as ``tuiarena/_data/<name>`` (pyproject force-include); a source
    or editable checkout has them at the repository's top level.
    """
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / name


def write_private(path: Path | str, text: str, *, durable: bool = True) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder + os.replace), mode 0600.

    ``durable``: fsync before the rename (a file the user would miss); a disposable cache skips it.
    """
    path = Path(path)
    _ensure_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # POSIX; mkstemp already creates the file 0600
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    os.chmod(path, 0o600)
