"""The key bar at the bottom of every screen (:class:`KeyBar`): what Textual's ``Footer`` shows, in
one widget (two lines when one cannot hold every key): the screen's shown bindings from the left
(disabled ones dimmed), app-wide keys after them, the command palette
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
        self._strip: list[Strip] | None = None
        self._spans: list[tuple[int, int, int, str]] = []  # clickable (line, x from, x to) -> key

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
        later: list[tuple[str, str, str, bool]] = []  # priority (app-wide) keys after the screen's own
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            (later if binding.priority else keys).append(
                (binding.key, app.get_key_display(binding), binding.description, enabled))
        # the screens' keys together, and quit last
        later.sort(key=lambda k: (k[0] == "ctrl+q", not k[0].startswith("f")))
        keys += later
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            binding = active[app.COMMAND_PALETTE_BINDING].binding
            palette = (binding.key, app.get_key_display(binding), binding.description)
            keys = [k for k in keys if k[0] != binding.key]
        if keys != self.keys or palette != self.palette:
            self.keys, self.palette = keys, palette
            self._strip = None
            self._fit()
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if self._strip is None or self._strip[0].cell_length != width:
            self._strip = self._build(width, base)
        return self._strip[y] if y < len(self._strip) else Strip.blank(width, base)

    def on_resize(self) -> None:
        self._strip = None
        self._fit()

    def _fit(self) -> None:
        """Two lines when one cannot hold every key (the palette key stays on the first)."""
        width = self.size.width
        if not width:
            return
        needed = sum(cell_len(f" {shown} ") + (cell_len(f"{d} ") if d else 0) for _k, shown, d, _e in self.keys)
        if self.palette is not None:
            needed += cell_len(f"▏{self.palette[1]} {self.palette[2]} ")
        lines = 2 if needed > width else 1
        if self.styles.height is None or self.styles.height.value != lines:
            self.styles.height = lines

    def _build(self, width: int, base: Style) -> list[Strip]:
        key_style = self.get_component_rich_style("keybar--key")
        desc_style = self.get_component_rich_style("keybar--description")
        dim = Style(dim=True)
        right: list[Segment] = []
        spans: list[tuple[int, int, int, str]] = []
        if self.palette is not None:
            key, shown, description = self.palette
            sep = self.get_component_rich_style("keybar--separator")
            right = [Segment("▏", base + sep), Segment(shown, key_style), Segment(f" {description} ", desc_style)]
        right_width = sum(cell_len(s.text) for s in right)
        lines: list[list[Segment]] = [[], []]
        room = [max(width - right_width, 0), width]
        x, line = 0, 0
        for key, shown, description, enabled in self.keys:
            k, d = f" {shown} ", f"{description} " if description else ""
            cells = cell_len(k) + cell_len(d)
            if x + cells > room[line]:
                if line == 1 or self.size.height < 2:
                    break
                line, x = 1, 0
                if cells > room[1]:
                    break
            extra = Style() if enabled else dim
            lines[line] += [Segment(k, key_style + extra), Segment(d, desc_style + extra)]
            spans.append((line, x, x + cells, key))
            x += cells
        if right and self.palette is not None:
            spans.append((0, width - right_width, width, self.palette[0]))
        self._spans = spans
        first = Strip(lines[0]).extend_cell_length(room[0], base)
        strips = [Strip([*first, *right], room[0] + right_width).crop(0, width)]
        strips.append(Strip(lines[1]).extend_cell_length(width, base).crop(0, width))
        return strips

    def on_click(self, event: events.Click) -> None:
        for line, start, end, key in self._spans:
            if line == event.y and start <= event.x < end:
                self.app.simulate_key(key)
                break
