"""Errors a user can fix. The CLI prints their message on one line and exits 2; the UI shows a
notification. They never carry a traceback to the user."""

from __future__ import annotations


class UserError(Exception):
    """Bad input the user can fix (usage, config, suite, session file). Exit code 2."""

    exit_code = 2


class ConfigError(UserError):
    """A broken config.toml or theme file; the message names the file, the line and what to do."""


class SuiteError(UserError):
    """A malformed suite file; the message names the file, the line and the field."""


class SessionFileError(UserError):
    """A session file that cannot be read (unknown format version, not a session)."""
