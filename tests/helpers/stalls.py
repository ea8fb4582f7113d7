"""How long the event loop went without running: what a user feels as a frozen UI (keys not answered, nothing
redrawn). `StallMeter` runs a ticker on the app's loop every few milliseconds and keeps the longest gap between two
ticks; work done on the UI thread shows as a gap, work in a thread worker does not."""

from __future__ import annotations

import asyncio
import time


class StallMeter:
    """`async with StallMeter() as meter: ...` then `meter.longest` (seconds): the longest event-loop stall while
    the block ran."""

    TICK_S = 0.005

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.TICK_S)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - self.TICK_S)
            last = now

    async def __aenter__(self) -> "StallMeter":
        self._task = asyncio.get_running_loop().create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
