"""The app's keys stay clear of terminal multiplexers: no default binding of the app, any screen or
any of our widgets is ``ctrl+b`` (tmux's prefix) or ``ctrl+a`` (GNU screen's), which over SSH in
tmux never reach the app. Checked two ways: every class in ``tuiarena.ui`` that declares BINDINGS,
and the bindings each screen really has live (app and screen level) once it is open.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import BindingsMap
from textual.dom import DOMNode

import tuiarena.ui
from tests.ui_helpers import make_app, ready, screen_text, wait_done

PREFIXES = {"ctrl+b", "ctrl+a"}


def _ui_classes() -> list[type[DOMNode]]:
    found: dict[str, type[DOMNode]] = {}
    for info in pkgutil.walk_packages(tuiarena.ui.__path__, "tuiarena.ui."):
        if info.name.startswith("tuiarena.ui.serve"):
            continue  # the browser arena: keys of a web page, not of the terminal app
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__.startswith("tuiarena.ui"):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(found.values())


def test_no_class_binds_a_multiplexer_prefix():
    classes = _ui_classes()
    names = {c.__name__ for c in classes}
    assert {"TuiArena", "CompareScreen", "SuiteScreen", "BlindScreen", "SessionsScreen", "ReplayScreen",
            "DiffScreen", "HistoryScreen", "LeaderboardScreen", "CellDetailScreen", "HelpScreen"} <= names
    bad = {}
    for cls in classes:
        for klass in cls.__mro__:  # the bindings it inherits from our own classes too
            if "BINDINGS" in vars(klass) and klass.__module__.startswith("tuiarena.ui"):
                keys = set(BindingsMap(vars(klass)["BINDINGS"]).key_to_bindings)
                if keys & PREFIXES:
                    bad[klass.__qualname__] = sorted(keys & PREFIXES)
    assert not bad, f"bound to a tmux/screen prefix: {bad}"


async def test_no_open_screen_has_a_multiplexer_prefix(tuiarena_home):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        seen = []
        for name in ("compare", "blind", "suite", "sessions", "leaderboard", "history", "help"):
            if name == "help":
                app.action_help()
            elif name != "compare":
                app.open_screen(name)
            await pilot.pause()
            screen = app.screen
            seen.append(type(screen).__name__)
            own = {key for key, active in screen.active_bindings.items() if active.node in (app, screen)}
            assert not own & PREFIXES, f"{type(screen).__name__} binds {sorted(own & PREFIXES)}"
            if name != "compare":
                app.pop_screen()
                await pilot.pause()
        assert seen == ["CompareScreen", "BlindScreen", "SuiteScreen", "SessionsScreen", "LeaderboardScreen",
                        "HistoryScreen", "HelpScreen"]


async def test_every_screens_hints_name_the_rebound_keys(tuiarena_home):
    """After ``[keys]``, the hints on the suite, blind and sessions screens name the new keys."""
    tuiarena_home.mkdir(parents=True)
    (tuiarena_home / "config.toml").write_text(
        '[keys]\nsuite_run = "f12"\nsuite_back = "ctrl+w"\nblind_vote_a = "1,left"\nblind_vote_b = "2,right"\n'
        'sessions_replay = "o"\n')
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        app.compare_screen.query_one("#user").text = "hello"
        app.compare_screen.action_run()  # one saved session for the sessions screen
        await wait_done(app, pilot)
        app.open_screen("suite")
        await pilot.pause()
        app.screen.action_tab("matrix")
        await pilot.pause()
        text = screen_text(app)
        assert "f12 runs the chosen suite" in text and "^w cancels a run" in text
        assert "ctrl+r" not in text and "^r" not in text
        app.screen.action_tab("summary")
        await pilot.pause()
        assert "Run a suite (f12)" in screen_text(app)
        app.open_screen("blind")
        await pilot.pause()
        assert "Vote 1 / ← (A better), 2 / → (B better)" in screen_text(app)
        app.open_screen("sessions")
        await pilot.pause()
        assert "o replays" in screen_text(app) and "p replays" not in screen_text(app)
