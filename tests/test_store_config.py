"""config.toml: defaults, round trip, errors that name the file and line, no literal keys, 0600."""

from __future__ import annotations

import stat
import tomllib

import pytest

from tuiarena.errors import ConfigError
from tuiarena.store import paths
from tuiarena.store.config import (
    append_history,
    load_config,
    load_history,
    save_ui,
    update_config,
)

GOOD = """
[ui]
theme = "nord"
selected = ["demo/swift", "openai/gpt-4o-mini"]
show_speed_in_blind = true

[defaults]
temperature = 0.7
max_tokens = 1024

[keys]
run = "ctrl+r"
vote_a = ["a", "1"]

[endpoints.openai]
base_url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"
models = ["gpt-4o-mini", "gpt-4.1"]
max_concurrency = 8

[pricing."openai/gpt-4o-mini"]
input = 0.1
output = 0.5
"""


def write(text: str):
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_follow_tuiarena_home_and_create_nothing_at_import(tuiarena_home):
    assert paths.home() == tuiarena_home
    assert not tuiarena_home.exists()
    assert paths.config_file() == tuiarena_home / "config.toml"
    assert not tuiarena_home.exists()  # config_file() does not create anything
    sessions = paths.sessions_dir()
    assert sessions.is_dir() and stat.S_IMODE(sessions.stat().st_mode) == 0o700


def test_data_path_finds_shipped_folders():
    assert (paths.data_path("themes")).is_dir()
    assert (paths.data_path("sample_suites")).is_dir()


def test_write_private_is_0600_and_atomic(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    paths.write_private(target, "one")
    paths.write_private(target, "two")
    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]  # no temp files left


def test_missing_file_gives_defaults(tuiarena_home):
    cfg = load_config()
    assert cfg.endpoints == {} and cfg.pricing == {} and cfg.keys == {}
    assert cfg.ui.theme is None and cfg.ui.selected == [] and cfg.ui.show_speed_in_blind is False
    assert cfg.defaults.temperature is None and cfg.warnings == []
    assert cfg.path == tuiarena_home / "config.toml"
    assert not tuiarena_home.exists()  # loading never creates files


def test_full_config_parses():
    write(GOOD)
    cfg = load_config()
    assert cfg.ui.theme == "nord" and cfg.ui.show_speed_in_blind is True
    assert cfg.ui.selected == ["demo/swift", "openai/gpt-4o-mini"]
    assert cfg.defaults.temperature == 0.7 and cfg.defaults.max_tokens == 1024
    assert cfg.keys == {"run": "ctrl+r", "vote_a": "a,1"}
    ep = cfg.endpoints["openai"]
    assert (ep.name, ep.base_url, ep.api_key_env, ep.max_concurrency, ep.source) == (
        "openai", "https://api.openai.com/v1", "OPENAI_API_KEY", 8, "config")
    assert ep.models == ["gpt-4o-mini", "gpt-4.1"]
    price = cfg.pricing["openai/gpt-4o-mini"]
    assert (price.input_per_m, price.output_per_m, price.source) == (0.1, 0.5, "config")


def test_broken_toml_names_file_and_line():
    path = write('[ui]\ntheme = "nord"\nselected = [\n"a", oops\n]\n')
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert str(path) in msg and "line 4" in msg and "fix or delete" in msg


def test_unterminated_toml_at_end_of_document():
    write('[ui]\ntheme = "nord')
    with pytest.raises(ConfigError, match=r"line 2"):
        load_config()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[endpoints.openai]\nbase_url = 'https://x/v1'\nmax_concurrency = 'four'\n",
         "endpoints.openai.max_concurrency must be an integer"),
        ("[endpoints.openai]\nbase_url = 'https://x/v1'\nmax_concurrency = true\n",
         "endpoints.openai.max_concurrency must be an integer"),
        ("[endpoints.x]\nmodels = ['a']\n", "endpoints.x.base_url is missing"),
        ("[endpoints.x]\nbase_url = 'ftp://x'\n", "endpoints.x.base_url must start with http"),
        ("[ui]\nselected = 'demo/swift'\n", "ui.selected must be a list of strings"),
        ("[ui]\nshow_speed_in_blind = 1\n", "ui.show_speed_in_blind must be true or false"),
        ("[defaults]\ntemperature = 'hot'\n", "defaults.temperature must be a number"),
        ('[pricing."a/b"]\ninput = 1\n', 'pricing."a/b".output is missing'),
        ("ui = 3\n", "ui must be a table"),
        ("[endpoints.demo]\nbase_url = 'http://x'\n", "reserved name 'demo'"),
    ],
)
def test_wrong_types_name_the_key(text, expected):
    path = write(text)
    with pytest.raises(ConfigError) as err:
        load_config()
    assert expected in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "[endpoints.openai]\nbase_url = 'https://x/v1'\napi_key = 'sk-abc123'\n",
        "[endpoints.openai]\nbase_url = 'https://x/v1'\napi_key_env = 'sk-abc123-not-a-var-name!'\n",
        "[endpoints.openai]\nbase_url = 'https://x/v1'\n[endpoints.openai.extra_headers]\n"
        "Authorization = 'Bearer sk-abc'\n",
    ],
)
def test_literal_api_key_is_refused(text):
    write(text)
    with pytest.raises(ConfigError, match="api_key_env"):
        load_config()


def test_unknown_keys_are_warnings_not_errors():
    write("[ui]\ntheme = 'nord'\ncolour = 'red'\n[plugins]\nx = 1\n")
    cfg = load_config()
    assert cfg.ui.theme == "nord"
    assert any("ui.colour" in w for w in cfg.warnings)
    assert any("plugins" in w for w in cfg.warnings)


def test_update_config_round_trips_and_keeps_other_sections():
    path = write(GOOD)
    cfg = update_config({"ui": {"theme": "gruvbox"}, "keys": {"quit": "ctrl+q"}})
    assert cfg.ui.theme == "gruvbox"
    again = load_config()
    assert again.ui.theme == "gruvbox"
    assert again.ui.selected == ["demo/swift", "openai/gpt-4o-mini"]  # untouched in the same section
    assert again.keys["run"] == "ctrl+r" and again.keys["quit"] == "ctrl+q"
    assert again.endpoints["openai"].max_concurrency == 8
    assert again.pricing["openai/gpt-4o-mini"].output_per_m == 0.5
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text())["ui"]["theme"] == "gruvbox"


def test_update_config_creates_file_removes_keys_and_refuses_bad_changes(tuiarena_home):
    update_config({"ui": {"theme": "nord", "selected": ["demo/swift"]}})
    assert stat.S_IMODE(paths.config_file().stat().st_mode) == 0o600
    update_config({"ui": {"theme": None}})
    assert load_config().ui.theme is None and load_config().ui.selected == ["demo/swift"]
    before = paths.config_file().read_text()
    with pytest.raises(ConfigError):
        update_config({"endpoints": {"x": {"base_url": "https://x", "api_key": "sk-secret"}}})
    assert paths.config_file().read_text() == before  # nothing written


def test_update_config_refuses_to_clobber_a_broken_file():
    path = write("[ui\n")
    with pytest.raises(ConfigError):
        update_config({"ui": {"theme": "x"}})
    assert path.read_text() == "[ui\n"


def test_save_ui():
    save_ui(theme="nord", show_speed_in_blind=True)
    cfg = load_config()
    assert cfg.ui.theme == "nord" and cfg.ui.show_speed_in_blind is True
    with pytest.raises(TypeError):
        save_ui(colour="red")


def test_history_is_kept_out_of_config():
    for prompt in ["one", "two", "one", "  ", "three"]:
        append_history(prompt)
    assert load_history() == ["two", "one", "three"]
    assert load_config().ui.history == ["two", "one", "three"]
    assert not paths.config_file().exists()
    assert stat.S_IMODE(paths.history_file().stat().st_mode) == 0o600
    append_history("four", limit=2)
    assert load_history() == ["three", "four"]
    paths.history_file().write_text("{broken")
    assert load_history() == []
