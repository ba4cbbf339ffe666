"""Suite loading: JSONL and TOML, defaults, and errors that name the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuiarena.engine.suite.load import load_suite, shipped_suites
from tuiarena.errors import SuiteError

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages show paths relative to the working directory


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def jsonl(*cases) -> str:
    return "\n".join(c if isinstance(c, str) else json.dumps(c) for c in cases) + "\n"


def test_tiny_fixture_loads_with_defaults():
    s = load_suite(DATA / "suite_tiny.toml")
    assert s.name == "tiny" and [c.id for c in s.cases] == ["capital", "greet", "json"]
    capital, greet, js = s.cases
    assert capital.params.temperature == 0 and capital.params.max_tokens == 200
    assert js.params.max_tokens == 100
    assert greet.messages[0] == {"role": "system", "content": "Be brief."}
    assert [c["type"] for c in js.checks] == ["json-fields"]  # implicit, from the object `expected`
    assert s.requirements == {"min_pass_rate": 0.0, "requests_per_month": 1000}
    assert s.categories == ["chat", "extraction", "facts"]


def test_error_names_file_line_and_field(tmp_path):
    lines = [{"id": f"c{i}", "input": "hi"} for i in range(5)]
    lines.append({"id": "bad", "input": "hi", "checks": [{"type": "contains", "value": "x"}, {"type": "regexp", "pattern": "x"}]})
    p = write(tmp_path, "support.jsonl", jsonl({"id": "c", "input": "x"}, *lines))
    with pytest.raises(SuiteError) as ei:
        load_suite(p)
    assert str(ei.value).startswith('support.jsonl: line 7: field "checks"[1].type: unknown check "regexp" (known: equals')


@pytest.mark.parametrize(
    "line, expect",
    [
        ('{"id": "a", "input": "x",}', "line 2: invalid JSON at column"),
        ('["not", "an", "object"]', "line 2: a case must be a JSON object"),
        ('{"id": "b"}', 'line 2: field "input": missing'),
        ('{"id": "b", "input": "x", "messages": []}', 'line 2: field "input": give "input" or "messages"'),
        ('{"id": "b", "messages": [{"role": "bot", "content": "x"}]}', 'line 2: field "messages[0]"'),
        ('{"id": "b", "input": "x", "temperature": 3}', 'line 2: field "temperature": must be between 0 and 2'),
        ('{"id": "b", "input": "x", "max_tokens": 1.5}', 'line 2: field "max_tokens": must be an integer'),
        ('{"id": "b", "input": "x", "expect": "y"}', "line 2: unknown field 'expect'"),
        ('{"id": "a", "input": "x"}', 'line 2: field "id": duplicate id \'a\' (first at line 1)'),
        ('{"id": "b", "input": "x", "checks": {"type": "is-json"}}', 'line 2: field "checks": must be a list'),
        ('{"id": "b", "input": "x", "checks": [{"type": "regex", "pattern": "["}]}', 'line 2: field "checks"[0].pattern: bad regular'),
    ],
)
def test_malformed_lines_are_errors(tmp_path, line, expect):
    p = write(tmp_path, "s.jsonl", '{"id": "a", "input": "x"}\n' + line + "\n")
    with pytest.raises(SuiteError) as ei:
        load_suite(p)
    assert f"s.jsonl: {expect}" in str(ei.value)


def test_toml_errors(tmp_path):
    write(tmp_path, "c.jsonl", jsonl({"id": "a", "input": "x"}))
    cases = [
        ('cases = "c.jsonl"\n[requirements]\nmax_latency_ms = 5\n', "unknown requirement 'max_latency_ms' (did you mean max_p95_latency_ms?)"),
        ('cases = "c.jsonl"\n[requirements]\nmin_pass_rate = 90\n', "min_pass_rate: must be between 0 and 1"),
        ('cases = "missing.jsonl"\n', 'field "cases": file \'missing.jsonl\' not found'),
        ('cases = "c.jsonl"\n[defaults]\nchecks = [{type = "nope"}]\n', '[defaults]: field "checks"[0].type: unknown check "nope"'),
        ('cases = "c.jsonl"\n[judge]\nmodel = "gpt"\n', '[judge]: field "model"'),
        ('cases = "c.jsonl"\ncolour = 1\n', "unknown key 'colour'"),
        ('cases = "c.jsonl"\nname = \n', "invalid TOML"),
        ("name = 'x'\n", 'field "cases"'),
        ('[[cases]]\nid = "a"\ninput = "x"\n[[cases]]\nid = "b"\n', '[[cases]] #2: field "input": missing'),
    ]
    for text, expect in cases:
        p = write(tmp_path, "s.toml", text)
        with pytest.raises(SuiteError) as ei:
            load_suite(p)
        assert str(ei.value).startswith("s.toml: ") and expect in str(ei.value), (text, str(ei.value))


def test_toml_inline_cases_defaults_and_judge(tmp_path):
    write(tmp_path, "rubric.md", "Grade it.")
    p = write(tmp_path, "s.toml", """
name = "inline"
models = ["demo/swift"]
[defaults]
system = "Sys"
max_latency_ms = 5000
checks = [{type = "not-refused"}]
[judge]
model = "demo/steady"
rubric_file = "rubric.md"
pairwise = true
[[cases]]
id = "a"
input = "x"
checks = [{type = "contains", value = "x"}]
[[cases]]
id = "b"
input = "y"
default_checks = false
""")
    s = load_suite(p)
    a, b = s.cases
    assert [c["type"] for c in a.checks] == ["not-refused", "contains", "latency"]
    assert [c["type"] for c in b.checks] == ["latency"]
    assert a.messages[0]["content"] == "Sys"
    assert s.judge.model == "demo/steady" and s.judge.rubric == "Grade it." and s.judge.pairwise
    assert s.models == ["demo/swift"]


def test_shipped_suites_load_by_name():
    names = [p.stem for p in shipped_suites()]
    assert "extraction" in names
    for name in names:
        s = load_suite(name)
        assert len(s.cases) >= 20
    with pytest.raises(SuiteError, match="no shipped suite of that name"):
        load_suite("no-such-suite")
