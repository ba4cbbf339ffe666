"""The key bar at the bottom of every screen (:class:`KeyBar`): what Textual's ``Footer`` shows, in
one widget: the screen's shown bindings from the left (disabled ones dimmed), the command palette
key on the right; clicking a key presses it. Why not ``Footer``: docs/decisions/0005.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip
from textual.widget import Widget


class KeyBar(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description", "keybar--separator"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; color: $footer-foreground; background: $footer-background; }
    KeyBar > .keybar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground;
                                    background: $footer-description-background; }
    KeyBar > .keybar--separator { color: $foreground 20%; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: list[tuple[str, str, str, bool]] = []  # (key, shown key, description, enabled)
        self.palette: tuple[str, str, str] | None = None  # (key, shown key, description)
        self._strip: Strip | None = None
        self._spans: list[tuple[int, int, str]] = []  # clickable x ranges -> key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip = None

    def _bindings_changed(self, screen) -> None:
        app = self.app
        keys: list[tuple[str, str, str, bool]] = []
        seen: set[str] = set()
        palette = None
        active = screen.active_bindings
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            binding = active[app.COMMAND_PALETTE_BINDING].binding
            palette = (binding.key, app.get_key_display(binding), binding.description)
            keys = [k for k in keys if k[0] != binding.key]
        if keys != self.keys or palette != self.palette:
            self.keys, self.palette = keys, palette
            self._strip = None
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        if self._strip is None or self._strip.cell_length != width:
            self._strip = self._build(width, base)
        return self._strip

    def _build(self, width: int, base: Style) -> Strip:
        key_style = self.get_component_rich_style("keybar--key")
        desc_style = self.get_component_rich_style("keybar--description")
        dim = Style(dim=True)
        right: list[Segment] = []
        spans: list[tuple[int, int, str]] = []
        if self.palette is not None:
            key, shown, description = self.palette
            sep = self.get_component_rich_style("keybar--separator")
            right = [Segment("▏", base + sep), Segment(shown, key_style), Segment(f" {description} ", desc_style)]
        right_width = sum(cell_len(s.text) for s in right)
        room = max(width - right_width, 0)
        left: list[Segment] = []
        x = 0
        for key, shown, description, enabled in self.keys:
            k, d = f" {shown} ", f"{description} " if description else ""
            cells = cell_len(k) + cell_len(d)
            if x + cells > room:
                break
            extra = Style() if enabled else dim
            left += [Segment(k, key_style + extra), Segment(d, desc_style + extra)]
            spans.append((x, x + cells, key))
            x += cells
        if right and self.palette is not None:
            spans.append((width - right_width, width, self.palette[0]))
        self._spans = spans
        strip = Strip(left, x).extend_cell_length(room, base)
        return Strip([*strip, *right], room + right_width).crop(0, width)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                break
