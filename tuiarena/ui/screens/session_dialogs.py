"""Dialogs of the sessions screen (confirm a deletion, choose an export format and file) and the export itself."""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

EXPORT_FORMATS = (("md", "Markdown — the comparison table and the answers"), ("csv", "CSV — one row per answer"),
                  ("json", "JSON — everything, machine readable"), ("html", "HTML — one self-contained page"))


def slug(text: str) -> str:
    """A file-name-safe stem from a session name."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return out[:48] or "session"


def write_export(source: Path, fmt_name: str, target: Path) -> None:
    """Export session file ``source`` as ``fmt_name`` to ``target`` (mode 0600). Raises UserError / OSError."""
    from tuiarena.errors import UserError
    from tuiarena.reports.export import export_session
    from tuiarena.store import paths
    from tuiarena.store.sessions import read_session

    if target.is_dir():
        raise UserError(f"{target} is a folder: give a file name")
    paths.write_private(target, export_session(read_session(source), fmt_name))


class ConfirmDialog(ModalScreen[bool]):
    """Yes / no. ``y`` or the first button confirms; ``n``, Esc or the second button cancels."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 64; max-width: 95%; height: auto; border: round $error; background: $surface;
                               padding: 0 1; }
    ConfirmDialog Static { height: auto; margin: 0 0 1 0; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin: 0 0 0 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    def __init__(self, question: str, yes: str = "Delete", no: str = "Cancel") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            with Horizontal():
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # Enter alone never deletes

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ExportDialog(ModalScreen["tuple[str, Path] | None"]):
    """Pick a format (the file name's extension follows it) and edit the path; Enter on either exports."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical { width: 76; max-width: 95%; height: auto; border: round $primary; background: $surface;
                              padding: 0 1; }
    ExportDialog Static { height: auto; color: $text-muted; }
    ExportDialog OptionList, ExportDialog OptionList:focus { height: auto; max-height: 6; border: none; padding: 0; }
    ExportDialog Input { margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export_cancel")]

    def __init__(self, default_stem: str, folder: Path | None = None, fmt: str = "md") -> None:
        super().__init__()
        self.folder = folder or Path.cwd()
        self.stem = default_stem
        self.fmt = fmt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Export session — choose a format, edit the file name; Enter writes, Esc cancels"))
            yield OptionList(*[Option(Text(f"{key:<5} {label}"), id=key) for key, label in EXPORT_FORMATS])
            yield Input(str(self.folder / f"{self.stem}.{self.fmt}"), id="export-path", compact=True)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = [k for k, _ in EXPORT_FORMATS].index(self.fmt)
        options.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        fmt = event.option.id or "md"
        self.fmt = fmt
        box = self.query_one("#export-path", Input)
        path = Path(box.value or f"{self.stem}.md")
        if path.suffix.lstrip(".").lower() in {k for k, _ in EXPORT_FORMATS} | {"markdown", "htm"}:
            box.value = str(path.with_suffix("." + fmt))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._finish()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._finish()

    def _finish(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.notify("give a file name", severity="warning")
            return
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = self.folder / path
        by_suffix = {".md": "md", ".markdown": "md", ".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}
        self.dismiss((by_suffix.get(path.suffix.lower(), self.fmt), path))

    def action_cancel(self) -> None:
        self.dismiss(None)
