"""Run a function in many threads released at the same moment (concurrency tests)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def run_together(fn, n: int) -> list[tuple[str, object]]:
    """fn(i) for i in range(n), all released at the same moment; ('ok', result) or ('error', exc)."""
    barrier = threading.Barrier(n)

    def call(i):
        barrier.wait()
        try:
            return "ok", fn(i)
        except Exception as exc:  # noqa: BLE001 (collected and asserted on)
            return "error", exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))
