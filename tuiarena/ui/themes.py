"""Themes as TOML files: the shipped ``themes/`` folder first, then the user's own, which win.

A theme file::

    name = "tuiarena-dark"
    dark = true
    primary = "#5fafff"          # plus secondary, accent, foreground, background, surface, panel,
    ...                          # success, warning, error (any colour Textual parses, or ansi_*)
    ansi = false                 # optional: true for themes built from ANSI colour names
    [variables]                  # optional Textual CSS variables
    footer-key-foreground = "#ffaf5f"

A file that does not parse or names a bad colour is skipped and reported (one line per file);
the caller shows all problems in one notification.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

COLOURS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel",
           "success", "warning", "error", "boost")
DEFAULT_THEME = "tuiarena-dark"
# Textual's own themes kept beside ours (the palette's theme list stays short)
KEEP_TEXTUAL_THEMES = ("textual-dark", "textual-light", "textual-ansi")


def _colour(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string colour")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{key} = {value!r} is not a colour") from None
    return value


def theme_from_toml(path: Path) -> Theme:
    """One theme file -> Theme; raises ValueError with a one-line reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot be read ({exc})") from None
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must be a non-empty string")
    if "primary" not in data:
        raise ValueError("primary colour is missing")
    kwargs: dict = {k: _colour(data[k], k) for k in COLOURS if k in data}
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError("dark must be true or false")
    ansi = data.get("ansi", False)
    if not isinstance(ansi, bool):
        raise ValueError("ansi must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError("[variables] must map names to strings")
    variables = dict(variables)
    if ansi:  # Textual's own stylesheet reads these on ANSI themes; a theme without them crashed
        variables.setdefault("ansi-background", "ansi_black" if dark else "ansi_white")
        variables.setdefault("ansi-foreground", "ansi_white" if dark else "ansi_black")
    return Theme(name=name.strip(), dark=dark, ansi=ansi, variables=variables, **kwargs)


def load_themes(folders: list[Path]) -> tuple[dict[str, Theme], list[str]]:
    """Read every ``*.toml`` in the folders in order (later folders override by name)."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except ValueError as exc:
                problems.append(f"{path}: {exc}")
                continue
            themes[theme.name] = theme
    return themes, problems


def theme_folders() -> list[Path]:
    from tuiarena.store.paths import data_path, user_themes_dir

    return [data_path("themes"), user_themes_dir()]


def install_themes(app: App[Any], configured: str | None) -> list[str]:
    """Give ``app`` our themes (shipped, then the user's) plus a few of Textual's, and switch to
    ``configured`` (the config's ``theme``; empty: the default). Returns the problems to show."""
    themes, skipped = load_themes(theme_folders())
    problems = [f"theme skipped: {p}" for p in skipped]
    for name in list(app.available_themes):
        if name not in KEEP_TEXTUAL_THEMES and name != configured:
            app.unregister_theme(name)
    for theme in themes.values():
        app.register_theme(theme)
    configured = configured or ""
    wanted = configured or DEFAULT_THEME
    if wanted not in app.available_themes:
        if configured:
            problems.append(f"theme {wanted!r} not found; using {DEFAULT_THEME}")
        wanted = DEFAULT_THEME if DEFAULT_THEME in app.available_themes else "textual-dark"
    app.theme = wanted
    return problems
