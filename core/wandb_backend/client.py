"""What can go wrong talking to a W&B server, as one clear line each, and the deadline every server call runs under.

The wandb SDK fails in many shapes: its methods raise `CommError` (or its subclass `AuthenticationError`), a missing
key is a `UsageError`, its paginators raise a bare `WandbApiFailedError` (or a `ValueError` when a project is not
there), and an unreachable host only shows as a timeout somewhere down the cause chain. `translate` turns all of them
into the `core.errors`-style classes below, whose message says what happened and what to do, so that the TUI and the
CLI can show it as is (never a traceback). `call_with_deadline` bounds SDK calls that have no timeout of their own
(`scan_history`, a stalled page) so that no caller waits forever. Nothing here imports wandb.
"""

from __future__ import annotations

import os

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from core.errors import ArtifactsError, NotFoundError

_T = TypeVar("_T")


class WandbError(ArtifactsError):
    """A W&B server could not answer a store call."""


class WandbAuthError(WandbError):
    """No API key was found, or the server rejected it."""


class WandbUnreachableError(WandbError):
    """The server could not be reached (wrong host, no network, server down)."""


class WandbTimeoutError(WandbUnreachableError):
    """The server did not answer within the store's deadline."""


class WandbPermissionError(WandbError):
    """The API key is valid but may not read or change this entity or project."""


class WandbServerError(WandbError):
    """Anything else the server or the SDK reported."""


class DeadlineExceeded(Exception):
    """Raised by `call_with_deadline`; the store turns it into a `WandbTimeoutError` naming the call."""


def call_with_deadline(fn: Callable[[], _T], deadline_s: float | None) -> _T:
    """Run `fn` in a daemon thread and wait at most `deadline_s` for it (None: wait as long as it takes).

    A call that overruns is abandoned, not killed (Python cannot kill a thread): it finishes in the background and
    its result is dropped. Daemon threads never hold up the interpreter's exit.
    """
    if deadline_s is None:
        return fn()
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="wandb-call", daemon=True).start()
    if not done.wait(deadline_s):
        raise DeadlineExceeded()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _chain(exc: BaseException):
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([getattr(current, "exc", None), current.__cause__, current.__context__])


def http_status(exc: BaseException) -> int | None:
    """The HTTP status the server answered with, found anywhere in the cause chain (None: no answer at all)."""
    for link in _chain(exc):
        response = getattr(link, "response", None)
        status = getattr(response, "http_status", None) or getattr(response, "status_code", None)
        if isinstance(status, int) and status > 0:
            return status
    return None


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for link in _chain(exc) for cls in type(link).__mro__}


def _text(exc: BaseException) -> str:
    return " | ".join(str(link) for link in _chain(exc)).lower()


def _mentions(text: str, words: tuple[str, ...], code: int) -> bool:
    return any(word in text for word in words) or re.search(rf"\b{code}\b", text) is not None


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = (str(exc) or type(exc).__name__).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


_MISSING_KEY = ("no api key", "api key configured", "no authentication configured", "wandb login")
_BAD_KEY = ("invalid api key", "api_key invalid", "api key must", "unauthorized", "unauthenticated", "relogin",
            "invalid credentials")
_DENIED = ("permission", "forbidden", "not authorized", "access denied")
_NOT_FOUND = ("not found", "could not find", "unable to parse", "does not exist")
_NO_ANSWER = ("timed out", "timeout", "did not respond", "connection refused", "name or service not known",
              "failed to resolve", "no route to host", "network is unreachable", "connection reset")


def translate(exc: BaseException, *, what: str, host: str, target: str) -> ArtifactsError:
    """One of our errors for a failed SDK call. `what`: the call in words ("listing the runs of team/proj");
    `target`: what it was about ("team/proj"), named in not-found and permission messages."""
    if isinstance(exc, ArtifactsError):
        return exc
    if isinstance(exc, DeadlineExceeded):
        return WandbTimeoutError(f"the W&B server at {host} did not answer in time while {what}; it is slow or "
                                 "unreachable: retry later (ctrl+r in the TUI)")
    classes = _class_names(exc)
    text = _text(exc)
    status = http_status(exc)
    if "UsageError" in classes and any(k in text for k in _MISSING_KEY):
        return WandbAuthError(f"no W&B API key for {host}: set WANDB_API_KEY (or run `wandb login`) and start again")
    if status == 401 or (status is None and "AuthenticationError" in classes and _mentions(text, _BAD_KEY, 401)):
        return WandbAuthError(f"the W&B server at {host} rejected the API key: check WANDB_API_KEY (or run "
                              "`wandb login --relogin`)")
    if status == 403 or (status is None and _mentions(text, _DENIED, 403)):
        return WandbPermissionError(f"W&B at {host} denied access to {target} while {what}: this API key may not "
                                    "do that; ask an admin of the entity for access, or check the entity name")
    if status == 404 or (status is None and _mentions(text, _NOT_FOUND, 404)):
        return NotFoundError(f"{target} was not found on the W&B server at {host} (or this API key cannot see it)")
    if status is not None and status >= 500:
        return WandbServerError(f"the W&B server at {host} failed (HTTP {status}) while {what}; retry later")
    if status is None and ("AuthenticationError" in classes or "TimeoutError" in classes
                           or "ConnectionError" in classes or any(k in text for k in _NO_ANSWER)):
        return WandbUnreachableError(f"cannot reach the W&B server at {host} while {what}: check WANDB_BASE_URL and "
                                     "the network, then retry (ctrl+r in the TUI)")
    if status is None and ("CommError" in classes or "WandbApiFailedError" in classes):
        return WandbUnreachableError(f"no answer from the W&B server at {host} while {what} "
                                     f"({_first_line(exc, 120)}); check WANDB_BASE_URL and the network")
    detail = f"HTTP {status}: " if status is not None else ""
    return WandbServerError(f"W&B error while {what}: {detail}{type(exc).__name__}: {_first_line(exc)}")


_DEFAULT = object()


class WandbClient:
    """The one way the W&B store reaches the server: `call(what, fn)` runs `fn(api)` under the deadline and turns
    any failure into one of the errors above. The `wandb.Api` is built lazily, inside the first call, so opening
    the store never blocks; `reset()` drops it (the SDK caches runs and projects inside `Api`)."""

    def __init__(self, api_factory: Callable[[], Any], *, call_timeout: float | None, host: str | None = None,
                 sdk: Any = None, entity: str = "") -> None:
        self._api_factory = api_factory
        self.call_timeout = call_timeout
        self._host = host
        self.sdk = sdk            # the wandb module to log runs through (None: import it when a run starts)
        self.entity = entity
        self._api: Any = None
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        if self._host or os.environ.get("WANDB_BASE_URL"):
            return self._host or os.environ["WANDB_BASE_URL"]
        settings = getattr(self._api, "settings", None)  # the SDK's default server, once it is built
        base = settings.get("base_url") if isinstance(settings, dict) else None
        return str(base) if base else "the default W&B server"

    def api(self) -> Any:
        with self._lock:
            if self._api is None:
                self._api = self._api_factory()
            return self._api

    def reset(self) -> None:
        with self._lock:
            self._api = None

    def call(self, what: str, fn: Callable[[Any], Any], *, target: str | None = None, timeout: Any = _DEFAULT):
        """`fn(api)` under the deadline; any failure comes out as one of our errors."""
        return self.guarded(what, lambda: fn(self.api()), target=target, timeout=timeout)

    def guarded(self, what: str, fn: Callable[[], Any], *, target: str | None = None, timeout: Any = _DEFAULT):
        """`fn()` (SDK work on objects already fetched, such as the next page) under the deadline."""
        deadline = self.call_timeout if timeout is _DEFAULT else timeout
        try:
            return call_with_deadline(fn, deadline)
        except Exception as exc:
            raise translate(exc, what=what, host=self.host, target=target or self.entity) from exc
