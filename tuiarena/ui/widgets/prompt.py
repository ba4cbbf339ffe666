"""The prompt editor: system and user prompt, parameters in one compact row, prompt history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, TextArea

from tuiarena.model import Params
from tuiarena.ui.widgets.choice import Choice

FORMATS = [("text", "text"), ("JSON object", "json_object"), ("JSON schema", "json_schema")]


class PromptEditor(Vertical):
    DEFAULT_CSS = """
    PromptEditor { height: auto; border: round $panel-lighten-2; border-title-color: $text-muted;
                   border-subtitle-color: $text-muted; }
    PromptEditor:focus-within { border: round $primary; }
    PromptEditor TextArea { height: auto; min-height: 1; max-height: 6; border: none; padding: 0 1; }
    PromptEditor #system { max-height: 3; color: $text-muted; }
    PromptEditor.-no-system #system { display: none; }
    PromptEditor #user { min-height: 2; }
    PromptEditor .params { height: 1; padding: 0 1; }
    PromptEditor .params Label { color: $text-muted; padding: 0 1 0 0; }
    PromptEditor .params Input { width: 8; margin: 0 2 0 0; }
    PromptEditor .params Choice { width: 18; }
    """

    def __init__(self, defaults: Params | None = None, history: list[str] | None = None, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.defaults = defaults or Params()
        self.history: list[str] = list(history or [])
        self._history_pos: int | None = None
        self._draft = ""

    def compose(self) -> ComposeResult:
        yield TextArea(id="system", compact=True, placeholder="system prompt (optional)", soft_wrap=True,
                       show_line_numbers=False, tab_behavior="focus")
        yield TextArea(id="user", compact=True, placeholder="prompt", soft_wrap=True, show_line_numbers=False,
                       tab_behavior="focus")
        with Horizontal(classes="params"):
            d = self.defaults
            yield Label("temp")
            yield Input("" if d.temperature is None else f"{d.temperature:g}", id="temperature", compact=True,
                        placeholder="auto", type="number")
            yield Label("max")
            yield Input("" if d.max_tokens is None else str(d.max_tokens), id="max_tokens", compact=True,
                        placeholder="auto", type="integer")
            yield Label("seed")
            yield Input("" if d.seed is None else str(d.seed), id="seed", compact=True, placeholder="none",
                        type="integer")
            yield Choice(FORMATS, value=d.response_format or "text", id="format")

    def on_mount(self) -> None:
        self.border_title = "prompt"

    def set_hint(self, key) -> None:
        """The placeholder names the keys as bound now (``key(binding_id, default)`` displays one)."""
        self.query_one("#user", TextArea).placeholder = (
            f"prompt — {key('run', 'ctrl+r')} runs · {key('history_prev', 'ctrl+up')}/{key('history_next', 'ctrl+down')} "
            f"history · {key('toggle_system', 'f6')} system prompt · {key('edit_in_editor', 'ctrl+o')} $EDITOR · "
            f"{key('help', 'f1')} keys")

    # -- values ------------------------------------------------------------------------------------
    @property
    def user_text(self) -> str:
        return self.query_one("#user", TextArea).text

    @user_text.setter
    def user_text(self, value: str) -> None:
        area = self.query_one("#user", TextArea)
        area.text = value
        area.move_cursor(area.document.end)

    @property
    def system_text(self) -> str:
        return self.query_one("#system", TextArea).text

    @system_text.setter
    def system_text(self, value: str) -> None:
        self.query_one("#system", TextArea).text = value

    def messages(self) -> list[dict]:
        system = self.system_text.strip()
        out = [{"role": "system", "content": system}] if system else []
        return out + [{"role": "user", "content": self.user_text}]

    def params(self) -> Params:
        """The parameters as typed; raises ValueError naming the field when one does not parse."""
        p = Params.from_dict(self.defaults.to_dict())

        def read(name: str):
            from tuiarena.validate import BadValue, parse_param

            raw = self.query_one(f"#{name}", Input).value.strip()
            if not raw:
                return None
            try:
                return parse_param(name, raw)
            except BadValue as exc:
                raise ValueError(f"{name.replace('_', ' ')} {exc}") from None

        p.temperature = read("temperature")
        p.max_tokens = read("max_tokens")
        p.seed = read("seed")
        p.response_format = self.query_one("#format", Choice).value  # type: ignore[assignment]
        if p.response_format == "json_schema" and not p.json_schema:
            p.json_schema = {"type": "object"}
        return p

    # -- history -----------------------------------------------------------------------------------
    def remember(self, prompt: str) -> None:
        prompt = prompt.strip()
        if prompt:
            self.history = [h for h in self.history if h != prompt] + [prompt]
        self._history_pos = None

    def history_step(self, step: int) -> bool:
        """Move through the history (-1 older, +1 newer). Returns False at either end."""
        if not self.history:
            return False
        if self._history_pos is None:
            if step > 0:
                return False
            self._draft = self.user_text
            pos = len(self.history) - 1
        else:
            pos = self._history_pos + step
        if pos < 0:
            return False
        if pos >= len(self.history):
            self._history_pos = None
            self.user_text = self._draft
            return True
        self._history_pos = pos
        self.user_text = self.history[pos]
        return True

    def set_turn(self, turn: int) -> None:
        key = getattr(self.app, "key_for", lambda _id, default: default)
        self.border_subtitle = (f"follow-up · turn {turn} · {key('turns', 'f5')} turns · "
                                f"{key('new_conversation', 'ctrl+l')} new chat") if turn > 1 else ""

    def focus_user(self) -> None:
        self.query_one("#user", TextArea).focus()
