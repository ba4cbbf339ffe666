"""Issue 15, classes 6-10: time limits, secrets, file modes, config ownership, messages that
point at the fix. The real openai SDK against tests/hostile_out.py on loopback."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.hostile_out import HostileServer
from tuiarena import secrets
from tuiarena.cli import main
from tuiarena.engine.run.runner import Runner
from tuiarena.model import EndpointSpec, Params, ProviderError, RetryNotice
from tuiarena.providers import openai_compat
from tuiarena.providers.openai_compat import OpenAICompatProvider
from tuiarena.providers.registry import Registry

MSGS = [{"role": "user", "content": "hi"}]
KEY = "sk-planted-0123456789abcdef"


@pytest.fixture(scope="module")
def srv():
    with HostileServer(n_tokens=5, trickle_s=0.05) as s:
        yield s


@pytest.fixture(params=["http11", "httpx2"])
def transport(request, monkeypatch):
    """Both transports: tuiarena's own, and httpx2's (as behind a proxy)."""
    if request.param == "httpx2":
        monkeypatch.setattr(openai_compat, "_proxied", lambda url: True)
    return request.param


def spec(base_url: str, **kw) -> EndpointSpec:
    kw.setdefault("max_retries", 2)
    return EndpointSpec(name="h", base_url=base_url, **kw)


async def stream_all(provider: OpenAICompatProvider, model: str) -> list:
    out = []
    try:
        async for ev in provider.stream(model, MSGS, Params()):
            out.append(ev)
    finally:
        await provider.aclose()
    return out


async def run_one(s: EndpointSpec, model: str):
    runner = Runner(Registry([s], include_demo=False), None, [])
    try:
        (rec,) = await runner.run([f"{s.name}/{model}"], MSGS)
    finally:
        await runner.registry.aclose()
    return rec


def requests_for(srv: HostileServer, model: str) -> int:
    return sum(1 for r in srv.chat_requests if isinstance(r.body, dict) and r.body.get("model") == model)


# ------------------------------------------------------------------ 6. time limits


async def test_a_silent_server_is_one_attempt_and_named(srv, transport):
    model = f"hang+{transport}"
    before = requests_for(srv, model)
    rec = await run_one(spec(srv.base_url, timeout_s=0.3, max_retries=2), model)
    assert rec.status == "error" and rec.error_kind == "timeout"
    assert "sent nothing for 0.3 s" in rec.error and "timeout_s" in rec.error and "1 attempt" in rec.error
    assert requests_for(srv, model) - before == 1  # not asked again: a retry only triples the wait


async def test_a_trickling_server_hits_the_overall_deadline(srv, transport):
    rec = await run_one(spec(srv.base_url, timeout_s=0.3, deadline_s=0.6), f"trickle+{transport}")
    assert rec.status == "error" and rec.error_kind == "timeout"
    assert "overall deadline of 0.6 s" in rec.error and "deadline_s" in rec.error and "1 attempt" in rec.error


def test_time_limits_from_config_and_command_line(srv, tuiarena_home, capsys):
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    (tuiarena_home / "config.toml").write_text(
        f'[endpoints.h]\nbase_url = "{srv.base_url}"\ntimeout_s = 30\ndeadline_s = 0.4\nconnect_timeout_s = 2\n')
    from tuiarena.store.config import load_config

    h = load_config().endpoints["h"]
    assert (h.timeout_s, h.deadline_s, h.connect_timeout_s) == (30, 0.4, 2)
    assert main(["run", "--no-session", "--format", "json", "--timeout", "0.2", "-m", "h/hang", "-m", "h/trickle", "x"]) == 1
    rows = {r["model"]: r for r in json.loads(capsys.readouterr().out)}
    assert "sent nothing for 0.2 s" in rows["h/hang"]["error"]
    assert "overall deadline of 0.4 s" in rows["h/trickle"]["error"]
    with pytest.raises(SystemExit) as ei:
        main(["run", "--deadline", "nan", "-m", "h/hang", "x"])
    assert ei.value.code == 2 and "--deadline" in capsys.readouterr().err


def test_connect_timeout_message_names_the_limit():
    import httpx2
    import openai

    from tuiarena.providers.failures import map_error

    request = httpx2.Request("POST", "http://u:pw-secret-1@10.255.255.1/v1/chat/completions")
    exc = openai.APITimeoutError(request=request)
    exc.__cause__ = httpx2.ConnectTimeout("timed out")
    err = map_error(exc, spec("http://u:pw-secret-1@10.255.255.1/v1", connect_timeout_s=4), 2, True)
    assert err.kind == "timeout" and "within 4 s (connect_timeout_s)" in err.message and "3 attempts" in err.message
    assert "pw-secret-1" not in err.message


# ------------------------------------------------------------------ 7. secrets


@pytest.fixture
def planted(srv, tuiarena_home, monkeypatch):
    """The README's own endpoint shape: api_key_env = "VLLM_KEY", a name no pattern catches."""
    monkeypatch.setenv("VLLM_KEY", KEY)
    tuiarena_home.mkdir(parents=True, exist_ok=True)
    host = srv.base_url.removeprefix("http://")
    (tuiarena_home / "config.toml").write_text(
        f'[endpoints.vllm]\nbase_url = "{srv.base_url}"\napi_key_env = "VLLM_KEY"\nmax_retries = 0\n'
        f'[endpoints.creds]\nbase_url = "http://user:url-secret-pw@{host}"\nmax_retries = 0\n')
    return srv


def _every_file(folder) -> str:
    """Every file tuiarena wrote (config.toml is the user's own, credentials and all)."""
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and p.name != "config.toml")


def test_an_echoed_key_never_reaches_a_file_an_export_or_the_screen(planted, tuiarena_home, capsys, tmp_path):
    models = ["-m", "vllm/echo-key", "-m", "vllm/echo-key-error", "-m", "creds/missing"]
    assert main(["run", "--format", "json", *models, "hello"]) == 1
    out = capsys.readouterr()
    rows = {r["model"]: r for r in json.loads(out.out)}
    assert rows["vllm/echo-key"]["text"] == "Your key is [redacted], keep it safe."
    assert "[redacted]" in rows["vllm/echo-key-error"]["error"]
    seen = [out.out + out.err]
    for fmt in ("md", "csv", "json", "html"):
        assert main(["report", "latest", "--format", fmt]) == 0
        seen.append(capsys.readouterr().out)
        assert main(["report", "latest", "--out", str(tmp_path / f"r.{fmt}")]) == 0
    assert main(["run", "--format", "csv", *models, "hello"]) == 1
    assert main(["run", "--format", "table", *models, "hello"]) == 1
    seen.append(str(capsys.readouterr()))
    seen += [_every_file(tuiarena_home), _every_file(tmp_path)]
    everything = "".join(seen)
    assert "[redacted]" in everything
    assert KEY not in everything and "url-secret-pw" not in everything


def test_redact_knows_configured_and_discovered_names_not_patterns(monkeypatch):
    import tuiarena.providers.discovery  # noqa: F401 - registers the variables it looks for

    monkeypatch.setenv("MY_LOCAL_THING", "value-of-local-thing")
    monkeypatch.setenv("TOGETHER_API_KEY", "together-key-value")
    secrets.watch_env("MY_LOCAL_THING")
    secrets.watch_url("http://bob:pa55word-x@host/v1")
    text = "a value-of-local-thing b together-key-value c pa55word-x d http://al:other-pw@h/v1 e"
    got = secrets.redact(text)
    assert got == "a [redacted] b [redacted] c [redacted] d http://[redacted]@h/v1 e"


# ------------------------------------------------------------------ 8. files


def test_home_cache_and_sessions_are_created_0700_with_their_parents(tmp_path, monkeypatch):
    from tuiarena.store import paths

    home = tmp_path / "a" / "b" / "home"
    monkeypatch.setenv("TUIARENA_HOME", str(home))
    old = os.umask(0o022)
    try:
        paths.sessions_dir()
        paths.cache_dir()
        paths.write_private(paths.config_file().parent / "state.json", "{}")
    finally:
        os.umask(old)
    for d in (tmp_path / "a", tmp_path / "a" / "b", home, home / "sessions", home / "cache"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d


def test_a_world_readable_session_file_is_tightened_and_the_user_told(capsys):
    from tuiarena.store.sessions import SessionWriter

    with SessionWriter.create(name="s") as w:
        path = w.path
    os.chmod(path, 0o644)
    assert main(["sessions", "rename", str(path), "new name"]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by others" in capsys.readouterr().err


def test_report_out_into_a_missing_folder_is_refused(tmp_path, capsys):
    from tuiarena.store.sessions import SessionWriter

    with SessionWriter.create(name="s") as w:
        path = w.path
    target = tmp_path / "no" / "such" / "r.md"
    assert main(["report", str(path), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and not (tmp_path / "no").exists()


# ------------------------------------------------------------------ 9. config ownership


def test_ui_state_goes_to_state_json_and_old_ui_keys_are_read_not_written(tuiarena_home):
    from tuiarena.store.config import load_config, save_ui

    tuiarena_home.mkdir(parents=True, exist_ok=True)
    text = '# mine\n[ui]\ntheme = "nord"  # old place\nselected = ["demo/swift"]\n[defaults]\ntemperature = 0.2\n'
    (tuiarena_home / "config.toml").write_text(text)
    assert load_config().ui.selected == ["demo/swift"] and load_config().ui.theme == "nord"  # migrated on read
    cfg = save_ui(selected=["demo/terse"], theme="gruvbox")
    assert cfg.ui.selected == ["demo/terse"] and cfg.ui.theme == "gruvbox"
    assert load_config().ui.selected == ["demo/terse"]
    assert (tuiarena_home / "config.toml").read_text() == text
    assert stat.S_IMODE((tuiarena_home / "state.json").stat().st_mode) == 0o600


# ------------------------------------------------------------------ 10. messages that point at the fix


async def test_403_is_a_permission_problem(srv, monkeypatch):
    monkeypatch.setenv("H_KEY", "sk-fine-key-123")
    with pytest.raises(ProviderError) as ei:
        await stream_all(OpenAICompatProvider(spec(srv.base_url, api_key_env="H_KEY")), "forbidden")
    assert ei.value.kind == "auth" and ei.value.status == 403
    assert "permission denied" in ei.value.message and "set H_KEY" not in ei.value.message


async def test_404_from_a_base_url_without_v1_hints_at_it(srv):
    base = srv.base_url.removesuffix("/v1")
    with pytest.raises(ProviderError) as ei:
        await stream_all(OpenAICompatProvider(spec(base)), "fake-model")
    assert ei.value.kind == "not_found" and "does not end in /v1" in ei.value.message
    assert f"{base}/v1" in ei.value.message


async def test_an_html_502_page_is_summarised(srv):
    with pytest.raises(ProviderError) as ei:
        await stream_all(OpenAICompatProvider(spec(srv.base_url, max_retries=1)), "html-502")
    msg = ei.value.message
    assert ei.value.kind == "server" and "502 Bad Gateway" in msg and "<" not in msg and len(msg) < 200


async def test_retry_after_an_hour_is_said_not_waited_for(srv):
    before = requests_for(srv, "retry-hour")
    with pytest.raises(ProviderError) as ei:
        await stream_all(OpenAICompatProvider(spec(srv.base_url, max_retries=2)), "retry-hour")
    assert ei.value.kind == "rate_limit" and "asked to wait 1 h" in ei.value.message
    assert requests_for(srv, "retry-hour") - before == 1


async def test_a_request_that_finally_fails_keeps_its_retry_history(srv):
    rec = await run_one(spec(srv.base_url, max_retries=2), "html-502")
    assert rec.status == "error" and [r["status"] for r in rec.retries] == [502, 502]
    assert "after 3 attempts" in rec.error


async def test_retry_notices_are_yielded_before_the_failure(srv):
    events = []
    with pytest.raises(ProviderError):
        async for ev in OpenAICompatProvider(spec(srv.base_url, max_retries=1)).stream("html-502", MSGS, Params()):
            events.append(ev)
    assert [type(e) for e in events] == [RetryNotice]


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as ei:
        main(["run", "--temperature", "warm", "x"])
    err = capsys.readouterr().err
    assert ei.value.code == 2
    assert err.count("\n") == 1 and "--temperature" in err and "--help" in err


async def test_a_local_server_is_named_by_what_it_says_it_is(monkeypatch):
    from tuiarena.providers.discovery import discover

    monkeypatch.delenv("TUIARENA_NO_PROBE")
    with HostileServer(owned_by="llamacpp") as a, HostileServer(server_header="llama.cpp") as b:
        found = await discover(None, local_servers={"vllm": a.base_url, "lmstudio": b.base_url})
    names = {e.base_url: e.name for e in found.endpoints}
    assert names[a.base_url] == "llamacpp"
    assert names[b.base_url] == f"llamacpp-{b.port}"


def test_models_command_does_not_print_an_echoed_key(planted, capsys, monkeypatch):
    from tuiarena.providers import openai_compat as oc

    async def echoing(self):  # a /v1/models that answers 401 quoting the key it got
        raise oc.ProviderError("auth", f"401 from {self.name}: bad key {os.environ['VLLM_KEY']}", 401)

    monkeypatch.setattr(oc.OpenAICompatProvider, "list_models", echoing)
    main(["models"])
    out = capsys.readouterr()
    assert "[redacted]" in out.err and KEY not in out.out + out.err


def test_an_old_session_holding_a_key_is_replayed_and_exported_without_it(planted, capsys):
    from tuiarena.model import ResponseDone, RunStarted
    from tuiarena.store.sessions import SessionWriter

    with SessionWriter.create(name="old") as w:  # as an older version saved it: key and all
        w.write(RunStarted(run_id="r1", models=["vllm/x"], messages=MSGS, response_ids={"vllm/x": "x1"}))
        w.write(ResponseDone(run_id="r1", response_id="x1", model="vllm/x", text=f"the key is {KEY}",
                             error=f"http://u:url-secret-pw@h/v1 said {KEY}"))
    assert main(["replay", "latest", "--instant"]) == 0
    assert main(["report", "latest", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert "the key is [redacted]" in out.out
    assert KEY not in out.out + out.err and "url-secret-pw" not in out.out + out.err


def test_suite_out_into_a_missing_folder_is_refused_before_any_request(tmp_path, capsys, tuiarena_home):
    target = tmp_path / "missing" / "report.md"
    assert main(["suite", "extraction", "-m", "demo/swift", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and not target.parent.exists()
    assert not (tuiarena_home / "sessions").exists() or not list((tuiarena_home / "sessions").glob("*.jsonl"))
