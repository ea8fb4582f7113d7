"""System metrics of the running process, as W&B records them beside a run's history: CPU %, resident memory and,
where NVIDIA's management library answers, each visible GPU's utilisation and memory. Resident memory is also given
as a share of the machine's RAM (W&B's `proc.memory.percent`), so that the live view charts every sample on one
0-100 scale.

Sampled by the run's heartbeat thread every `SAMPLE_INTERVAL_S` (a bounded rate: a run of hours stores a few
thousand rows) and written to the store's `system_metrics` table, so every viewer of the run sees them. psutil and
nvidia-ml-py load lazily, inside the first sample; a missing library or driver means fewer keys, never an error.
"""

from __future__ import annotations

import os
import time
from typing import Any

SAMPLE_INTERVAL_S = 5.0


class SystemSampler:
    def __init__(self) -> None:
        self._process: Any = None
        self._nvml: Any = None
        self._gpus: list[tuple[int, Any]] | None = None
        self._last = 0.0
        self._ram: int | None = None

    def due(self, now: float | None = None) -> bool:
        return (now or time.monotonic()) - self._last >= SAMPLE_INTERVAL_S

    def sample(self) -> dict[str, float]:
        """One row of `system/...` keys (empty when nothing can be measured here)."""
        self._last = time.monotonic()
        row: dict[str, float] = {}
        process = self._proc()
        if process is not None:
            try:
                row["system/cpu_percent"] = round(process.cpu_percent(None), 1)
                rss = process.memory_info().rss
                row["system/rss_mb"] = round(rss / 2**20, 1)
                row["system/memory_percent"] = round(100 * rss / self._total_memory(), 2)
            except Exception:  # noqa: BLE001 - the process is going away: no sample this time
                pass
        for index, handle in self._gpu_handles():
            try:
                util = self._nvml.nvmlDeviceGetUtilizationRates(handle)
                mem = self._nvml.nvmlDeviceGetMemoryInfo(handle)
            except Exception:  # noqa: BLE001
                continue
            row[f"system/gpu.{index}.gpu_percent"] = float(util.gpu)
            row[f"system/gpu.{index}.memory_allocated_mb"] = round(mem.used / 2**20, 1)
            row[f"system/gpu.{index}.memory_total_mb"] = round(mem.total / 2**20, 1)
        return row

    def _total_memory(self) -> int:
        if self._ram is None:
            import psutil

            self._ram = psutil.virtual_memory().total or 1
        return self._ram

    def _proc(self) -> Any:
        if self._process is None:
            try:
                import psutil
            except ImportError:
                return None
            self._process = psutil.Process(os.getpid())
            self._process.cpu_percent(None)  # the first call only starts the measurement
        return self._process

    def _gpu_handles(self) -> list[tuple[int, Any]]:
        if self._gpus is None:
            self._gpus = []
            try:
                import pynvml

                pynvml.nvmlInit()
                self._nvml = pynvml
                visible = os.environ.get("CUDA_VISIBLE_DEVICES")
                indexes = range(pynvml.nvmlDeviceGetCount())
                if visible is not None:  # the devices this process may use, as CUDA numbers them
                    wanted = [int(v) for v in visible.split(",") if v.strip().isdigit()]
                    indexes = [i for i in indexes if i in wanted]
                self._gpus = [(n, pynvml.nvmlDeviceGetHandleByIndex(i)) for n, i in enumerate(indexes)]
            except Exception:  # noqa: BLE001 - no library, no driver, no GPU
                self._gpus = []
        return self._gpus
