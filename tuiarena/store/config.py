"""The user's configuration: one TOML file, ``config.toml`` in :func:`tuiarena.store.paths.home`.

Every section is optional; a missing file means all defaults. The schema::

    [ui]
    theme = "tuiarena-dark"                 # a theme name (shipped or in <home>/themes)
    selected = ["demo/swift", "demo/thinker"]   # models ticked in the roster
    show_speed_in_blind = false             # show live tok/s in the blind arena (may leak identity)

    [defaults]                              # request parameters: temperature, max_tokens, seed, top_p
    temperature = 0.7
    max_tokens = 1024

    [keys]                                  # binding id -> key, or a list of keys
    run = "ctrl+r"

    [endpoints.openai]                      # any OpenAI-compatible endpoint; the table name is the
    base_url = "https://api.openai.com/v1"  # endpoint part of model refs (openai/gpt-4o-mini)
    api_key_env = "OPENAI_API_KEY"          # the NAME of the env var holding the key, never the key
    models = ["gpt-4o-mini", "gpt-4.1"]     # optional; empty = ask the server
    max_concurrency = 4                     # optional: max_retries, extra_headers too
    timeout_s = 60                          # silence limit: no byte for this long (default 60)
    connect_timeout_s = 10                  # connecting (default 10)
    deadline_s = 300                        # the whole response, retries included (default 300)

    [pricing."openai/gpt-4o-mini"]          # USD per 1M tokens; overrides the shipped table
    input = 0.15
    output = 0.60

Unknown keys are ignored and reported in ``Config.warnings``. Wrong types raise ConfigError naming
the file, the key path and the expected type. A literal key (``api_key = ...``) is refused.

Prompt history lives in ``history.json`` beside the config (it would bloat config.toml): see
:func:`load_history` / :func:`append_history`; ``Config.ui.history`` holds it after loading. What
the UI remembers (theme, selection) lives in ``state.json`` and wins over ``[ui]`` here, which is
still read (older versions wrote it) but never written by the app (``tuiarena.store.state``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tuiarena import secrets, validate
from tuiarena.errors import ConfigError
from tuiarena.model import EndpointSpec, Params
from tuiarena.store import paths
from tuiarena.store.pricing import Price

HISTORY_LIMIT = 200
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "proxy-authorization"}


@dataclass(slots=True)
class UiSettings:
    theme: str | None = None
    selected: list[str] = field(default_factory=list)
    show_speed_in_blind: bool = False
    history: list[str] = field(default_factory=list)  # from history.json, newest last


@dataclass(slots=True)
class Config:
    path: Path
    endpoints: dict[str, EndpointSpec] = field(default_factory=dict)
    pricing: dict[str, Price] = field(default_factory=dict)
    ui: UiSettings = field(default_factory=UiSettings)
    keys: dict[str, str] = field(default_factory=dict)
    defaults: Params = field(default_factory=Params)
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------
# Validation helpers
# ------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, path: Path):
        self.path = path
        self.warnings: list[str] = []

    def fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key} {what}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table ([section])")
        return value

    def str_(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, "must be a string")
        return value

    def bool_(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def int_(self, value: Any, key: str, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "must be an integer")
        if minimum is not None and value < minimum:
            raise self.fail(key, f"must be at least {minimum}")
        return value

    def num(self, value: Any, key: str, minimum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, "must be a number")
        return float(self.check(lambda: validate.number(value, lo=minimum), key))

    def check(self, test: Callable[[], Any], key: str) -> Any:
        """Run a shared check from :mod:`tuiarena.validate`; its failure names this key."""
        try:
            return test()
        except validate.BadValue as exc:
            raise self.fail(key, str(exc)) from None

    def str_list(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return list(value)

    def unknown(self, table: dict[str, Any], known: set[str], prefix: str) -> None:
        for k in table:
            if k not in known:
                self.warnings.append(f"{self.path.name}: unknown key {prefix}{k} (ignored)")


def _parse(data: dict[str, Any], path: Path) -> Config:
    c = _Checker(path)
    cfg = Config(path=path)
    c.unknown(data, {"ui", "defaults", "keys", "endpoints", "pricing"}, "")

    ui = c.table(data.get("ui", {}), "ui")
    c.unknown(ui, {"theme", "selected", "show_speed_in_blind"}, "ui.")
    if "theme" in ui:
        cfg.ui.theme = c.str_(ui["theme"], "ui.theme")
    if "selected" in ui:
        cfg.ui.selected = c.str_list(ui["selected"], "ui.selected")
    if "show_speed_in_blind" in ui:
        cfg.ui.show_speed_in_blind = c.bool_(ui["show_speed_in_blind"], "ui.show_speed_in_blind")

    d = c.table(data.get("defaults", {}), "defaults")
    c.unknown(d, {"temperature", "max_tokens", "seed", "top_p"}, "defaults.")
    cfg.defaults = Params(**{
        name: c.check(partial(validate.param, name, d[name]), f"defaults.{name}")
        for name in ("temperature", "max_tokens", "seed", "top_p") if name in d
    })

    for k, v in c.table(data.get("keys", {}), "keys").items():
        if isinstance(v, list):
            cfg.keys[k] = ",".join(c.str_list(v, f"keys.{k}"))
        else:
            cfg.keys[k] = c.str_(v, f"keys.{k}")

    for name, ep in c.table(data.get("endpoints", {}), "endpoints").items():
        cfg.endpoints[name] = _endpoint(c, name, ep)

    for model_id, p in c.table(data.get("pricing", {}), "pricing").items():
        key = f'pricing."{model_id}"'
        p = c.table(p, key)
        c.unknown(p, {"input", "output"}, f"{key}.")
        for part in ("input", "output"):
            if part not in p:
                raise c.fail(f"{key}.{part}", "is missing (USD per 1M tokens)")
        cfg.pricing[model_id] = Price(
            c.num(p["input"], f"{key}.input", 0), c.num(p["output"], f"{key}.output", 0), "config"
        )

    cfg.warnings = c.warnings
    return cfg


def _endpoint(c: _Checker, name: str, ep: Any) -> EndpointSpec:
    key = f"endpoints.{name}"
    ep = c.table(ep, key)
    if "/" in name or not name.strip():
        raise c.fail(key, "has an invalid name: endpoint names cannot contain '/'")
    if name == "demo":
        raise c.fail(key, "uses the reserved name 'demo' (the offline demo models): pick another name")
    for literal in ("api_key", "key", "token", "apikey"):
        if literal in ep:
            raise c.fail(
                f"{key}.{literal}",
                "looks like a literal API key: keys are never stored in files; put the key in an "
                'environment variable and name it with api_key_env = "MY_KEY_VAR"',
            )
    c.unknown(
        ep,
        {"base_url", "api_key_env", "models", "max_concurrency", "timeout_s", "max_retries", "extra_headers",
         "connect_timeout_s", "deadline_s"},
        f"{key}.",
    )
    if "base_url" not in ep:
        raise c.fail(f"{key}.base_url", 'is missing (e.g. base_url = "https://api.openai.com/v1")')
    base_url = c.str_(ep["base_url"], f"{key}.base_url")
    if not re.match(r"https?://", base_url):
        raise c.fail(f"{key}.base_url", "must start with http:// or https://")
    secrets.watch_url(base_url)  # credentials in the URL never reach a file or the screen
    spec = EndpointSpec(name=name, base_url=base_url, source="config")
    if "api_key_env" in ep:
        env = c.str_(ep["api_key_env"], f"{key}.api_key_env")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
            raise c.fail(
                f"{key}.api_key_env",
                "must be the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key itself",
            )
        spec.api_key_env = env
        secrets.watch_env(env)
    if "models" in ep:
        spec.models = c.str_list(ep["models"], f"{key}.models")
    if "max_concurrency" in ep:
        spec.max_concurrency = c.int_(ep["max_concurrency"], f"{key}.max_concurrency", 1)
    for limit in ("timeout_s", "connect_timeout_s", "deadline_s"):
        if limit in ep:
            setattr(spec, limit, float(c.check(partial(validate.timeout, ep[limit]), f"{key}.{limit}")))
    if "max_retries" in ep:
        spec.max_retries = c.int_(ep["max_retries"], f"{key}.max_retries", 0)
    if "extra_headers" in ep:
        headers = c.table(ep["extra_headers"], f"{key}.extra_headers")
        for h, v in headers.items():
            if h.lower() in _SECRET_HEADERS:
                raise c.fail(
                    f"{key}.extra_headers.{h}",
                    "would store a credential in the file: use api_key_env with the variable's name",
                )
            spec.extra_headers[h] = c.str_(v, f"{key}.extra_headers.{h}")
    return spec


# ------------------------------------------------------------------------------------------
# Reading and writing
# ------------------------------------------------------------------------------------------

NEWLINE = b"\n"
_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _read_raw(path: Path) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        if validate.too_deep(data):
            raise RecursionError
        return data
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text — fix or delete the file") from None
    except RecursionError:
        raise ConfigError(f"{path}: a value is nested too deeply to read — fix or delete the file") from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _AT.search(msg)
        if m:
            where = f"line {m.group(1)}"
            msg = msg[: m.start()]
        elif "end of document" in msg:
            where = f"line {raw.count(NEWLINE) + 1}"
            msg = re.sub(r"\s*\(at end of document\)\s*$", "", msg)
        else:
            where = "line ?"
        raise ConfigError(f"{path}: {where}: {msg} — fix or delete the file") from None


def load_config(path: Path | str | None = None) -> Config:
    """Read config.toml (missing = defaults), the UI state beside it and the prompt history."""
    path = Path(path) if path is not None else paths.config_file()
    data = _read_raw(path)
    cfg = _parse(data or {}, path)
    _add_state(cfg, path)
    return cfg


def _add_state(cfg: Config, path: Path) -> None:
    """What the UI remembered (state.json) over config.toml's [ui] keys, and the prompt history."""
    from tuiarena.store.state import load_state, state_file

    for name, value in load_state(state_file(path)).items():
        setattr(cfg.ui, name, value)
    cfg.ui.history = load_history(path.parent / paths.history_file().name)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif isinstance(v, dict):
            out[k] = _merge({}, v)
        else:
            out[k] = v
    return out


def update_config(changes: dict[str, Any], path: Path | str | None = None) -> Config:
    """Deep-merge ``changes`` into the file (a ``None`` value removes the key) and write it, 0600.

    The result is validated before anything is written, so a bad change never reaches the disk.
    Comments in the file are not preserved (tomli_w writes plain TOML): the app never calls this
    (UI state goes to state.json); it is for scripts that mean to rewrite the file.
    """
    import tomli_w

    path = Path(path) if path is not None else paths.config_file()
    data = _merge(_read_raw(path) or {}, changes)
    cfg = _parse(data, path)
    paths.write_private(path, tomli_w.dumps(data))
    _add_state(cfg, path)
    return cfg


def save_ui(path: Path | str | None = None, **fields: Any) -> Config:
    """``save_ui(theme="nord", selected=[...])``: remember UI state in state.json (never in
    config.toml, which stays the user's; see ``tuiarena.store.state``)."""
    from tuiarena.store.state import save_state, state_file

    path = Path(path) if path is not None else paths.config_file()
    save_state(state_file(path), **fields)
    return load_config(path)


def load_history(path: Path | None = None) -> list[str]:
    """Prompt history, oldest first; a missing or broken file is an empty history."""
    path = path or paths.history_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [p for p in data if isinstance(p, str)][-HISTORY_LIMIT:]


def append_history(prompt: str, path: Path | None = None, limit: int = HISTORY_LIMIT) -> list[str]:
    """Add a prompt (moved to the end if already there), keep the last ``limit``; file 0600."""
    path = path or paths.history_file()
    prompt = prompt.strip()
    history = load_history(path)
    if prompt:
        history = [p for p in history if p != prompt] + [prompt]
    history = history[-limit:]
    paths.write_private(path, json.dumps(history, ensure_ascii=False, indent=0))
    return history
