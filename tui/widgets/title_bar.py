"""The title row at the top of every screen: Textual's `Header`, drawn as one widget.

Textual's header is four widgets (the row, its icon, its title and the clock's space), each styled and laid out on
every screen; this is one, with the same look: the icon in the first 8 cells (a click there opens the command
palette, as Textual's does), the screen's title and the app's sub-title ("Artifacts — ~/store") centred between it
and the 10 cells Textual keeps for a clock, cut with an ellipsis when it does not fit. It follows the app's and the
screen's `title` and `sub_title`.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

ICON = "⭘"
ICON_CELLS = 8  # Textual's HeaderIcon: the icon with a cell of padding either side, 8 cells wide
CLOCK_CELLS = 10  # Textual's HeaderClockSpace, kept empty on the right


class TitleBar(Widget):
    """The screen's title and the app's sub-title (the store), with the palette's icon on the left."""

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        for node in (self.app, self.screen):
            self.watch(node, "title", self.refresh, init=False)
            self.watch(node, "sub_title", self.refresh, init=False)
        if self.app.ENABLE_COMMAND_PALETTE:
            self.tooltip = "Open the command palette"

    def title_content(self) -> Content:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> Content:
        width = self.size.width
        room = max(0, width - ICON_CELLS - CLOCK_CELLS)
        title = self.title_content().truncate(room, ellipsis=True)
        left = (room - title.cell_length) // 2
        icon = Content(f" {ICON}").extend_right(ICON_CELLS - 2)
        return Content.assemble(icon, title.pad(left, room - left - title.cell_length)).truncate(width)

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_CELLS and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")
