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


def ensure_dir(path: Path | str) -> Path:
    """Create ``path`` and every missing parent, each 0700 whatever the umask (``mkdir -p`` would
    make the parents 0755); folders that already exist are left as they are."""
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)
    if not path.is_dir():
        path.mkdir(mode=0o700, exist_ok=True)  # a file in the way: FileExistsError as before
    return path


_ensure_dir = ensure_dir


def tighten(path: Path | str, fd: int | None = None) -> str | None:
    """Make an existing file 0600 if others could read it; a sentence for the user when it was not."""
    st = os.fstat(fd) if fd is not None else os.stat(path)
    mode = st.st_mode & 0o777
    if not mode & 0o077:
        return None
    if fd is not None:
        os.fchmod(fd, 0o600)
    else:
        os.chmod(path, 0o600)
    return f"{path} was readable by others (mode {mode:o}): changed to 600"


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


def check_output(path: Path | str, flag: str = "--out") -> Path:
    """Refuse an output path whose folder is missing (or that is a folder) before any work is done."""
    from tuiarena.errors import UserError

    out = Path(path).expanduser()
    if out.is_dir():
        raise UserError(f"{flag} {out} is a folder; give a file name such as {out / 'report.md'}")
    parent = out.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise UserError(f"{flag} {out}: the folder {parent} {what}; create it first (mkdir -p {parent})")
    return out


def write_output(path: Path | str, text: str, flag: str = "--out") -> Path:
    """Write a file the user asked for (``--out``): 0600, atomic, into a folder that must exist
    (a typo in a folder name should not create a tree of folders); a clear UserError otherwise."""
    from tuiarena.errors import UserError

    out = check_output(path, flag)
    try:
        write_private(out, text)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
