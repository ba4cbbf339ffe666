"""Property tests of the shared input checks (tuiarena.validate) and the output escaping
(tuiarena.fmt.visible): every accepted value is in range and finite, every refused one says what
it got; escaped text never carries a control character and loses no printable one."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuiarena import validate
from tuiarena.errors import ConfigError, SuiteError
from tuiarena.fmt import visible

anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.text(max_size=5), st.lists(st.integers(), max_size=2))


@given(st.sampled_from(sorted(validate.PARAMS)), anything)
def test_param_accepts_only_finite_in_range(name, value):
    lo, hi, integer = validate.PARAMS[name]
    try:
        got = validate.param(name, value)
    except validate.BadValue as exc:
        assert "must be" in str(exc) and "got" in str(exc)
        return
    assert not isinstance(got, bool) and isinstance(got, int if integer else (int, float))
    assert math.isfinite(got)
    assert (lo is None or got >= lo) and (hi is None or got <= hi)


@given(st.sampled_from(sorted(validate.PARAMS)), st.text(max_size=12))
def test_parse_param_never_raises_anything_else(name, text):
    try:
        validate.parse_param(name, text)
    except validate.BadValue:
        pass


@given(anything)
def test_timeout_is_positive_and_finite(value):
    try:
        got = validate.timeout(value)
    except validate.BadValue:
        return
    assert math.isfinite(got) and got > 0


@given(st.text())
def test_visible_leaves_no_control_characters(text):
    out = visible(text)
    for i, ch in enumerate(out):
        code = ord(ch)
        if ch == "\r":
            assert out[i + 1 : i + 2] == "\n"
            continue
        assert ch in "\n\t" or not (code < 0x20 or 0x7F <= code < 0xA0)
    printable = [c for c in text if c in "\n\t" or not (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\r")]
    assert all(c in out for c in printable)


@given(st.recursive(st.one_of(st.text(), st.integers(), st.none()), lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(st.text(max_size=3), kids, max_size=3)))
def test_visible_keeps_json_valid(value):
    doc = json.dumps(value, ensure_ascii=False)
    assert json.loads(visible(doc)) == value


@pytest.mark.parametrize("text", ["temperature = nan", "temperature = -3", "temperature = inf", "max_tokens = 0",
                                  "max_tokens = -1", "top_p = 1.5", "seed = 1.5"])
def test_config_defaults_refused_naming_the_value(tmp_path, text):
    from tuiarena.store.config import load_config

    path = tmp_path / "config.toml"
    path.write_text(f"[defaults]\n{text}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    key, value = (s.strip() for s in text.split("="))
    assert f"defaults.{key}" in str(info.value) and value in str(info.value)


@pytest.mark.parametrize("value", ["0", "nan", "inf", "-1"])
def test_config_timeout_refused(tmp_path, value):
    from tuiarena.store.config import load_config

    path = tmp_path / "config.toml"
    path.write_text(f'[endpoints.x]\nbase_url = "http://127.0.0.1:9/v1"\ntimeout_s = {value}\n')
    with pytest.raises(ConfigError, match="timeout_s"):
        load_config(path)


@pytest.mark.parametrize("line", ['{"input": "x", "temperature": NaN}', '{"input": "x", "max_tokens": 0}',
                                  '{"input": "x", "top_p": Infinity}', '{"input": "x", "temperature": -3}'])
def test_suite_numbers_refused(tmp_path, line):
    from tuiarena.engine.suite.load import load_suite

    path = tmp_path / "s.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(SuiteError, match="line 1"):
        load_suite(path)
