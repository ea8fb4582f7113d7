"""The alias dialogs: add (validated as you type, with a preview of what the move does) and remove (pick which).

Both are `ModalScreen`s that return the chosen alias through `dismiss` (None when cancelled); the explorer makes
the change. Reserved aliases (`latest`, `vN`) are refused with the store's own reason. The preview reads the store
through `StoreCalls.fetch`: when it fails the dialog says why and offers Retry (enter, or ctrl+r) beside Cancel.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from core.errors import ValidationError
from core.names import check_alias
from tui.alias_undo import AliasChange, preview
from tui.format import describe_error
from tui.safe import safe_str, safe_text
from tui.screens.base import StoreCalls
from tui.widgets.alias_badges import alias_badges, badge
from tui.widgets.key_footer import KeyFooter


class AliasValidator(Validator):
    """The store's alias rules (`core.names.check_alias`), so the dialog refuses what the store would."""

    def validate(self, value: str) -> ValidationResult:
        if not value:
            return self.failure("type an alias, e.g. best or production")
        try:
            check_alias(value)
        except ValidationError as error:
            return self.failure(str(error))
        return self.success()


class AddAliasDialog(StoreCalls, ModalScreen[str | None]):
    """Ask for an alias to add to `version`; shows where the alias is now and where it would move."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # A modal screen does not pass keys on to the app's bindings: the app's refresh, which calls refresh_data.
        Binding("ctrl+r", "app.refresh_store", "Refresh", show=False),
    ]

    def __init__(self, store: Any, version: Any) -> None:
        super().__init__(classes="dialog")
        self.store = store
        self.version = version
        self._failed_for: str | None = None  # the alias whose preview failed: enter and the button retry it

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            title = Text("Add an alias to ", style="bold")
            title.append_text(safe_text(self.version.full_name, "bold"))
            yield Static(title, id="dialog-title")
            current = Text("aliases now: ", style="dim")
            current.append_text(alias_badges(self.version.aliases) if self.version.aliases else Text("none", "dim"))
            yield Static(current, id="dialog-current")
            yield Input(placeholder="alias, e.g. best", id="alias-input", validators=[AliasValidator()],
                        validate_on=["changed", "submitted"], max_length=128)
            yield Static(Text(""), id="alias-feedback")
            with Horizontal(id="dialog-buttons"):
                yield Button("Add", variant="primary", id="confirm", disabled=True)
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @property
    def _feedback(self) -> Static:
        return self.query_one("#alias-feedback", Static)

    def _set_confirm(self, label: str, *, disabled: bool) -> None:
        button = self.query_one("#confirm", Button)
        button.label = label
        button.disabled = disabled

    @on(Input.Changed, "#alias-input")
    def _changed(self, event: Input.Changed) -> None:
        valid = event.validation_result is not None and event.validation_result.is_valid
        self._failed_for = None
        if not valid:
            self._set_confirm("Add", disabled=True)
            reasons = event.validation_result.failure_descriptions if event.validation_result else []
            self._feedback.update(Text(safe_str(reasons[0] if reasons else "not a valid alias"), style="red"))
            return
        self._check(event.value)

    def _check(self, alias: str) -> None:
        """Read where `alias` is now (in a worker); the feedback line shows the move, or why it could not tell."""
        self._failed_for = None
        self._set_confirm("Add", disabled=True)
        self._feedback.update(Text("checking…", style="dim"))

        def busy() -> None:
            if self.query_one(Input).value == alias:
                self._feedback.update(Text("checking… (the store is locked by another process; retrying)", "dim"))

        self.fetch("alias-preview", lambda: preview(self.store, self.version, alias),
                   lambda change: self._show_preview(alias, change),
                   on_error=lambda error: self._preview_failed(alias, error), on_busy=busy)

    def _show_preview(self, alias: str, change: AliasChange) -> None:
        if self.query_one(Input).value != alias:
            return
        text = safe_text(change.describe(), "bold")
        text.append("  (enter to confirm)", style="dim")
        self._feedback.update(text)
        self._set_confirm("Add", disabled=False)

    def _preview_failed(self, alias: str, error: BaseException) -> None:
        if self.query_one(Input).value != alias:
            return
        self._failed_for = alias
        text = Text("could not check where ", style="red")
        text.append_text(safe_text(alias, "bold red"))
        text.append(" is now: ", style="red")
        text.append_text(safe_text(describe_error(error), "red"))
        text.append("  (enter retries, escape cancels)", style="dim")
        self._feedback.update(text)
        self._set_confirm("Retry", disabled=False)

    def refresh_data(self) -> None:
        """ctrl+r (the app's refresh): check the typed alias again."""
        value = self.query_one(Input).value
        if AliasValidator().validate(value).is_valid:
            self._check(value)

    @on(Input.Submitted, "#alias-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._failed_for is not None and self._failed_for == event.value:
            self._check(event.value)
        elif event.validation_result is not None and event.validation_result.is_valid:
            self.dismiss(event.value)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        value = self.query_one(Input).value
        if self._failed_for is not None and self._failed_for == value:
            self._check(value)
        elif AliasValidator().validate(value).is_valid:
            self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RemoveAliasDialog(ModalScreen[str | None]):
    """Pick which alias to remove from `version` (`latest` is not offered: the store manages it)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, version: Any) -> None:
        super().__init__(classes="dialog")
        self.version = version
        self.aliases = [a for a in version.aliases if a != "latest"]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            title = Text("Remove an alias from ", style="bold")
            title.append_text(safe_text(self.version.full_name, "bold"))
            yield Static(title, id="dialog-title")
            yield OptionList(*[Option(badge(a)) for a in self.aliases], id="alias-choices")
            yield Static(Text("enter removes the highlighted alias; escape cancels", style="dim"), id="alias-feedback")
            with Horizontal(id="dialog-buttons"):
                yield Button("Remove", variant="error", id="confirm")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.aliases[event.option_index])

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self.dismiss(self.aliases[highlighted])

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
