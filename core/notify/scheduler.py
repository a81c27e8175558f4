"""The scheduler inside the server: one daemon thread per process runs :func:`core.notify.job.run` every
``HUBDESK_REMINDERS_EVERY_MINUTES`` (default 10; 0: off, e.g. when a systemd timer runs
``python3 -m core.manage send-reminders`` instead), the first time ``HUBDESK_REMINDERS_START_DELAY`` seconds after
the start (default 30). ``Home.py`` starts it once per process (a cached resource; :func:`start` is idempotent too).

A failed run is logged and the thread goes on; the thread ends when its database is closed or :func:`stop` is called.
Two runs at once (this thread and an admin's 立即运行) are safe: the queue's claims keep them apart.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

from core.notify import job
from core.platform.errors import DatabaseUnavailable

log = logging.getLogger("hubdesk")


def every_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("HUBDESK_REMINDERS_EVERY_MINUTES") or 10) * 60)
    except ValueError:
        return 600.0


def start_delay() -> float:
    try:
        return max(0.0, float(os.environ.get("HUBDESK_REMINDERS_START_DELAY") or 30))
    except ValueError:
        return 30.0


class Scheduler:
    def __init__(self, db, *, every: float, delay: float, url_path: Callable[[str], str | None] | None = None):
        self.db, self.every, self.delay, self.url_path = db, every, delay, url_path
        self.runs = 0
        self.last: job.Report | None = None
        self.last_error: str | None = None
        self.last_run_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hubdesk-reminders", daemon=True)

    def tick(self) -> job.Report | None:
        try:
            self.last = job.run(db=self.db, url_path=self.url_path, stop=self._stop.is_set)
            self.last_error = None
            log.info("HubDesk: reminders %s", self.last.line())
            return self.last
        except DatabaseUnavailable:  # the database was closed: this thread's work is over
            self._stop.set()
        except Exception as exc:  # keep the server running; the next tick tries again
            self.last_error = str(exc)
            log.exception("HubDesk: reminder run failed")
        finally:
            self.runs += 1
            self.last_run_at = time.time()
        return None

    def _loop(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            self.tick()
            if self._stop.wait(self.every):
                return

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> "Scheduler":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)


_current: Scheduler | None = None
_lock = threading.Lock()


def start(db, *, url_path: Callable[[str], str | None] | None = None) -> Scheduler | None:
    """The process's scheduler, started once (again only if the last one ended, e.g. its database closed).
    None when switched off (``HUBDESK_REMINDERS_EVERY_MINUTES=0``)."""
    global _current
    with _lock:
        if _current is not None and _current.alive and _current.db is db:
            return _current
        if _current is not None:
            _current.stop()
        every = every_seconds()
        if every <= 0:
            _current = None
            return None
        _current = Scheduler(db, every=every, delay=start_delay(), url_path=url_path).start()
        return _current


def current() -> Scheduler | None:
    return _current


def stop() -> None:
    global _current
    with _lock:
        if _current is not None:
            _current.stop()
        _current = None
