"""Server memory with many signed-in sessions (issue 17: "keep server memory < 500 MB at 100x with 20
signed-in sessions").

    python3 bench/memory.py [--scale 1 100] [--sessions 20] [--parallel 4] [--tracemalloc] [--db FILE]
    python3 bench/memory.py --scale 100 --sessions 4      # a quick look

Per scale:

1. **Database.** 1x: a copy of the demo database (``tests/demo_cache.py``'s template; the demo accounts'
   passwords are known). 100x: ``bench/generate.py --scale 100`` written into a private work folder (or a
   copy of ``--db``), whose accounts cannot sign in (the generator gives them unusable hashes); a child
   process gives one account per role a password through the write path (:mod:`core.platform.users`:
   ``reset_password`` of the leader and of the busiest expert, ``create`` of a staff and an admin account).
2. **Server.** ``streamlit run Home.py`` on a free loopback port (as ``tests/browser/conftest.start_server``
   does; ``HUBDESK_DEMO=0`` and no backups at 100x). The bench's launcher puts a ``sitecustomize.py`` on the
   server's ``PYTHONPATH`` that starts :func:`install_probe` (this file): a thread that, when the bench
   drops a request file in its folder, writes what the process holds: HubDesk's read caches
   (:mod:`core.platform.cache`: every entry and its size) and choice maps (:mod:`core.platform.lookups`),
   Streamlit's ``st.cache_data``/``st.cache_resource`` and each session's ``st.session_state`` (sizes of
   the values), DuckDB's ``duckdb_memory()`` and settings, pyarrow's allocator, glibc's heap, the pandas
   frames alive, resident memory by kind of mapping (``/proc/self/smaps``); with ``--tracemalloc`` also the
   top allocation sites (tracemalloc costs memory and time itself: at 100x a probe then takes minutes and the
   RSS figures of such a run are not the ones to quote; ``--probe-steps --parallel 1`` is the cheap way to
   follow the memory screen by screen). Nothing of it is in ``core/``.
3. **Browsers.** One headless chromium (Debian's, Playwright's async API), one browser context per
   session. The sessions sign in through the form one after another (sign-ins at the same moment lose
   typed text to the cookie component's late rerun, see ``bench/load_browser.py``); then each walks the
   screens its role uses, through the sidebar in its one Streamlit session (``--parallel`` walks at a
   time), and stays open on its last screen:
   leader: 数据总览, 专题分析 and each of its views, 会议大屏 and back; staff: 社会组织台账, 申报项目,
   资格审查, 评审汇总, 项目监管, 项目档案 of the project with the most activities, 服务台账录入, 能力培训;
   reviewer: 我的评审; admin: 审计日志, 用户与角色. The sessions go round the roles (leader, staff,
   reviewer, admin, leader, ...).
4. **Memory.** VmRSS of the server (and of its children, if any) every 0.5 s from ``/proc``: after start,
   after each sign-in, after the walks, the peak of the samples and the kernel's high-water mark (VmHWM);
   the probe after start, after the sign-ins and after the walks.

Writes ``bench/out/memory.json`` (one entry per scale, other scales' entries kept);
:func:`markdown_section` renders it for ``bench/RESULTS.md``. Nothing here runs in CI.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
JSON_OUT = OUT / "memory.json"
LIMIT_MB = 500
SAMPLE_S = 0.5
WAIT_MS = 45_000  # one bounded wait per step (the machine is shared)
ROLES = ("leader", "staff", "reviewer", "admin")
PROBE_ENV = "HUBDESK_MEMPROBE"
TRACE_ENV = "HUBDESK_MEMPROBE_TRACE"


# ======================================================================================================
# The probe: runs inside the server process (started from the sitecustomize.py the bench's launcher
# writes); only standard-library imports at module level, so importing this file there costs nothing.
# ======================================================================================================
def install_probe(folder: str) -> None:
    """In the server: a daemon thread answering ``req-<n>`` files in ``folder`` with ``resp-<n>.json``."""
    if os.environ.get(TRACE_ENV) == "1":
        import tracemalloc

        tracemalloc.start(12)
    box = Path(folder)

    def loop() -> None:
        while True:
            for req in sorted(box.glob("req-*")):
                n = req.name[4:]
                try:
                    doc = probe()
                except BaseException as exc:  # noqa: BLE001 - reported to the bench, the server goes on
                    doc = {"error": f"{type(exc).__name__}: {exc}"}
                tmp = box / f"resp-{n}.tmp"
                tmp.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")
                os.replace(tmp, box / f"resp-{n}.json")
                req.unlink(missing_ok=True)
            time.sleep(0.25)

    threading.Thread(target=loop, name="hubdesk-memprobe", daemon=True).start()


def deep_size(obj, seen: set | None = None, depth: int = 0) -> int:
    """Bytes held by ``obj`` and what it refers to (pandas objects by ``memory_usage(deep=True)``; each
    object counted once per call)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    mod = type(obj).__module__ or ""
    if mod.startswith("pandas"):
        name = type(obj).__name__
        try:
            if name == "DataFrame":
                return int(obj.memory_usage(deep=True, index=True).sum())
            if name in ("Series", "Index") or name.endswith("Index"):
                return int(obj.memory_usage(deep=True))
        except Exception:  # noqa: BLE001
            pass
    if mod.startswith("numpy") and hasattr(obj, "nbytes"):
        return int(obj.nbytes) + 112
    try:
        size = sys.getsizeof(obj)
    except Exception:  # noqa: BLE001
        return 0
    if depth > 40 or isinstance(obj, (str, bytes, bytearray, int, float, bool, type(None))):
        return size
    if isinstance(obj, dict):
        return size + sum(deep_size(k, seen, depth + 1) + deep_size(v, seen, depth + 1) for k, v in list(obj.items()))
    if isinstance(obj, (list, tuple, set, frozenset)):
        return size + sum(deep_size(x, seen, depth + 1) for x in list(obj))
    if type(obj).__name__ in ("module", "function", "type", "method", "builtin_function_or_method"):
        return size
    d = getattr(obj, "__dict__", None)
    if isinstance(d, dict):
        size += deep_size(d, seen, depth + 1)
    for slot in getattr(type(obj), "__slots__", ()) or ():
        if isinstance(slot, str) and hasattr(obj, slot):
            size += deep_size(getattr(obj, slot), seen, depth + 1)
    return size


def _short(v, n: int = 90) -> str:
    s = repr(v)
    return s if len(s) <= n else s[: n - 1] + "…"


def _probe_hubdesk_caches() -> dict:
    from core.platform import cache, lookups

    out = {}
    for label, store in (("default", cache._default), ("large", cache._large)):
        with store._lock:
            items = list(store._data.items())
        entries = []
        for key, (_stamp, value) in items:
            name, params = key[0], key[1]
            rows = len(value) if hasattr(value, "__len__") else None
            entries.append({"name": name, "params": _short(params), "rows": rows, "bytes": deep_size(value),
                            "type": type(value).__name__})
        entries.sort(key=lambda e: -e["bytes"])
        by_name: dict[str, dict] = {}
        for e in entries:
            b = by_name.setdefault(e["name"], {"entries": 0, "bytes": 0})
            b["entries"] += 1
            b["bytes"] += e["bytes"]
        out[label] = {"max_entries": store.max_entries, "entries": len(entries),
                      "bytes": sum(e["bytes"] for e in entries), "by_name": by_name, "largest": entries[:15]}
    with lookups._lock:
        maps = dict(lookups._cache)
    lk = sorted(({"name": k, "items": len(v[1]) if hasattr(v[1], "__len__") else None, "bytes": deep_size(v[1])}
                 for k, v in maps.items()), key=lambda e: -e["bytes"])
    out["lookups"] = {"entries": len(lk), "bytes": sum(e["bytes"] for e in lk), "largest": lk[:10]}
    return out


def _probe_streamlit() -> dict:
    from streamlit.runtime import Runtime

    rt = Runtime.instance()
    out: dict = {}
    try:
        from streamlit.runtime.caching import get_data_cache_stats_provider, get_resource_cache_stats_provider

        for label, prov in (("cache_data", get_data_cache_stats_provider()),
                            ("cache_resource", get_resource_cache_stats_provider())):
            stats = [s for fam in prov.get_stats().values() for s in fam] if isinstance(prov.get_stats(), dict) \
                else list(prov.get_stats())
            out[label] = {"entries": len(stats), "bytes": sum(getattr(s, "byte_length", 0) for s in stats),
                          "functions": sorted({getattr(s, "cache_name", "") for s in stats})}
    except Exception as exc:  # noqa: BLE001
        out["cache_error"] = f"{type(exc).__name__}: {exc}"
    mgr = rt._session_mgr
    infos = mgr.list_sessions()
    active = {i.session.id for i in mgr.list_active_sessions()}
    sessions = []
    for info in infos:
        ss = info.session.session_state
        state = getattr(ss, "_state", ss)
        parts = {}
        keys = []
        seen: set = set()
        for part in ("_old_state", "_new_session_state", "_new_widget_state"):
            val = getattr(state, part, None)
            if val is None:
                continue
            parts[part] = deep_size(val, seen)
            data = val if isinstance(val, dict) else getattr(val, "states", None) or {}
            if isinstance(data, dict):
                for k, v in list(data.items()):
                    keys.append((deep_size(v), str(k)))
        keys.sort(reverse=True)
        user = None
        try:
            user = state._old_state.get("username") or state._new_session_state.get("username")
        except Exception:  # noqa: BLE001
            pass
        sessions.append({"id": info.session.id[:8], "active": info.session.id in active, "user": user,
                         "runs": info.script_run_count, "bytes": sum(parts.values()), "parts": parts,
                         "largest_keys": [{"key": k[:60], "bytes": b} for b, k in keys[:5]]})
    sessions.sort(key=lambda s: -s["bytes"])
    out["sessions"] = {"count": len(infos), "active": len(active), "bytes": sum(s["bytes"] for s in sessions),
                       "each": sessions}
    try:
        src = rt.dataframe_source_mgr
        with src._lock:
            regs = list(src._sources.values())
        out["dataframe_sources"] = {"count": len(regs), "bytes": sum(deep_size(r.source) for r in regs)}
    except Exception as exc:  # noqa: BLE001
        out["dataframe_sources"] = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        storage = rt.media_file_mgr._storage
        files = getattr(storage, "_files_by_id", {})
        out["media_files"] = {"count": len(files), "bytes": sum(len(getattr(f, "content", b"")) for f in files.values())}
    except Exception as exc:  # noqa: BLE001
        out["media_files"] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def _probe_duckdb() -> list[dict]:
    from core.platform import db as dbm

    out = []
    for path, database in list(dbm._instances.items()):
        if database._closed:
            continue
        mem = database.fetch_all("SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()"
                                 " ORDER BY memory_usage_bytes DESC")
        settings = {r["name"]: r["value"] for r in database.fetch_all(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'threads',"
            " 'max_memory', 'temp_directory')")}
        size = database.fetch_all("PRAGMA database_size")
        out.append({"path": str(path), "memory_bytes": sum(int(r["memory_usage_bytes"]) for r in mem),
                    "by_tag": {r["tag"]: int(r["memory_usage_bytes"]) for r in mem if r["memory_usage_bytes"]},
                    "settings": settings, "database_size": size[0] if size else None})
    return out


def _probe_smaps() -> dict:
    """Resident memory by kind of mapping (/proc/self/smaps): each shared library (code and data), the
    brk heap, and the anonymous mappings by shape: exactly 1 MiB (CPython's obmalloc arenas), starting on
    a 64 MiB boundary (glibc's per-thread malloc arenas), the rest (DuckDB's and pyarrow's jemalloc, big
    malloc'd blocks, thread stacks)."""
    out: dict[str, int] = {}
    counts: dict[str, int] = {}
    name = "?"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", head[0]):
            lo, hi = (int(x, 16) for x in head[0].split("-"))
            path = head[5] if len(head) > 5 else ""
            if not path:
                if hi - lo == 1 << 20:
                    name = "anonymous: 1 MiB (obmalloc arenas)"
                elif lo % (64 << 20) == 0 and hi - lo <= 64 << 20:
                    name = "anonymous: glibc thread arenas"
                else:
                    name = "anonymous: other"
            elif path.startswith("["):
                name = path
            else:
                name = "file: " + re.sub(r"\.cpython-.*|-[0-9a-f]{8}\.so.*|\.so.*", ".so", path.split("site-packages/")[-1]
                                         .split("/lib/")[-1])
            counts[name] = counts.get(name, 0) + 1
        elif head and head[0] == "Rss:":
            out[name] = out.get(name, 0) + int(head[1]) * 1024
    top = sorted(out.items(), key=lambda kv: -kv[1])
    return {"total_bytes": sum(out.values()),
            "anonymous_bytes": sum(v for k, v in out.items() if k.startswith("anonymous") or k == "[heap]"),
            "files_bytes": sum(v for k, v in out.items() if k.startswith("file: ")),
            "anonymous": {k: {"bytes": v, "mappings": counts.get(k, 0)} for k, v in out.items()
                          if k.startswith("anonymous") or k == "[heap]"},
            "largest": [{"mapping": k, "bytes": v} for k, v in top[:12]]}


def _probe_malloc() -> dict:
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                   "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    m = libc.mallinfo2()
    return {"heap_arena_bytes": m.arena, "mmapped_bytes": m.hblkhd, "in_use_bytes": m.uordblks,
            "free_in_heap_bytes": m.fordblks}


def _probe_frames() -> dict:
    import gc

    import pandas as pd

    frames = [o for o in gc.get_objects() if isinstance(o, pd.DataFrame)]
    sizes = sorted((int(f.memory_usage(deep=True).sum()), f.shape) for f in frames)
    return {"count": len(frames), "bytes": sum(s for s, _ in sizes),
            "largest": [{"bytes": s, "shape": list(shape)} for s, shape in sizes[-8:][::-1]]}


def _probe_trace() -> dict | None:
    import tracemalloc

    if not tracemalloc.is_tracing():
        return None
    snap = tracemalloc.take_snapshot().filter_traces((
        tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")))
    total = sum(s.size for s in snap.statistics("filename"))

    def where(tb) -> str:
        # the innermost frame in HubDesk's own code, else the innermost frame
        for fr in tb:
            if str(ROOT) in fr.filename and "/bench/" not in fr.filename:
                return f"{Path(fr.filename).relative_to(ROOT)}:{fr.lineno}"
        fr = tb[0]
        return f"{fr.filename.split('site-packages/')[-1]}:{fr.lineno}"

    grouped: dict[str, int] = {}
    for st in snap.statistics("traceback"):
        k = where(st.traceback)
        grouped[k] = grouped.get(k, 0) + st.size
    top = sorted(grouped.items(), key=lambda kv: -kv[1])[:20]
    files = [{"file": s.traceback[0].filename.split("site-packages/")[-1].replace(str(ROOT) + "/", ""),
              "bytes": s.size} for s in snap.statistics("filename")[:15]]
    return {"traced_bytes": total, "peak_bytes": tracemalloc.get_traced_memory()[1],
            "by_site": [{"site": k, "bytes": v} for k, v in top], "by_file": files}


def probe() -> dict:
    """What the server process holds now (run in the server, by the probe thread)."""
    t0 = time.perf_counter()
    doc: dict = {}
    for name, fn in (("hubdesk_cache", _probe_hubdesk_caches), ("streamlit", _probe_streamlit),
                     ("duckdb", _probe_duckdb), ("smaps", _probe_smaps), ("malloc", _probe_malloc), ("pandas_frames", _probe_frames),
                     ("tracemalloc", _probe_trace)):
        try:
            doc[name] = fn()
        except Exception as exc:  # noqa: BLE001
            doc[name] = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        import pyarrow as pa

        doc["pyarrow_bytes"] = pa.total_allocated_bytes()
        pool = pa.default_memory_pool()
        doc["pyarrow_pool"] = {"backend": pool.backend_name, "max_bytes": pool.max_memory()}
    except Exception:  # noqa: BLE001
        doc["pyarrow_bytes"] = None
    doc["threads"] = threading.active_count()
    doc["probe_seconds"] = round(time.perf_counter() - t0, 2)
    return doc


SITECUSTOMIZE = """
import os
if os.environ.get({env!r}):
    import importlib.util
    _spec = importlib.util.spec_from_file_location("hubdesk_bench_memory", {path!r})
    _mod = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_mod)
    _mod.install_probe(os.environ[{env!r}])
"""


# ======================================================================================================
# The bench side
# ======================================================================================================
def _status_kb(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def rss_kb(pid: int) -> tuple[int | None, int]:
    """VmRSS of ``pid`` and of its children (kB), and how many children."""
    own = _status_kb(pid, "VmRSS")
    kids = descendants(pid)
    return (None if own is None else own + sum(_status_kb(k, "VmRSS") or 0 for k in kids)), len(kids)


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


class Sampler:
    """VmRSS (children included) every 0.5 s in a thread; ``mark`` notes the current value; samples
    taken while the probe runs inside the server are left out of the peak (the probe allocates)."""

    def __init__(self, pid: int):
        self.pid, self.samples, self.marks = pid, [], []
        self.children = 0
        self.paused = threading.Event()
        self._stop = threading.Event()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.paused.is_set():
                kb, n = rss_kb(self.pid)
                if kb is not None:
                    self.samples.append((round(time.perf_counter() - self._t0, 1), kb))
                    self.children = max(self.children, n)
            self._stop.wait(SAMPLE_S)

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def mark(self, label: str) -> float | None:
        kb, _ = rss_kb(self.pid)
        self.marks.append({"label": label, "t": round(time.perf_counter() - self._t0, 1), "rss_mb": _mb(kb)})
        return _mb(kb)

    def hwm_mb(self) -> float | None:
        return _mb(_status_kb(self.pid, "VmHWM"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def peak_mb(self) -> float | None:
        return _mb(max((kb for _, kb in self.samples), default=None))


class Probe:
    def __init__(self, folder: Path, sampler: Sampler | None = None):
        self.folder, self.sampler, self.n = folder, sampler, 0

    def ask(self, timeout: float = 300) -> dict:
        self.n += 1
        resp = self.folder / f"resp-{self.n}.json"
        if self.sampler:
            self.sampler.paused.set()
        try:
            (self.folder / f"req-{self.n}").write_text("")
            deadline = time.monotonic() + timeout
            while not resp.exists():
                if time.monotonic() > deadline:
                    return {"error": "the probe did not answer"}
                time.sleep(0.1)
            return json.loads(resp.read_text(encoding="utf-8"))
        finally:
            if self.sampler:
                time.sleep(SAMPLE_S)  # let the probe's garbage go before sampling again
                self.sampler.paused.clear()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().decode().strip() == "ok"
    except OSError:
        return False


def server_env(work: Path, scale: int, trace: bool) -> dict:
    probe_dir = work / "probe"
    probe_dir.mkdir(exist_ok=True)
    site = work / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE.format(env=PROBE_ENV, path=str(Path(__file__).resolve())))
    env = dict(os.environ)
    env.update(HUBDESK_DB=str(work / "hub.duckdb"), HUBDESK_SECRETS=str(work / "secrets.toml"),
               HUBDESK_DEMO="1" if scale == 1 else "0", HUBDESK_BCRYPT_ROUNDS="4", HUBDESK_LOGIN_SLEEP="0",
               HUBDESK_BACKUP_ON_START="0", HUBDESK_BACKUP_EVERY_HOURS="0", PYTHONUNBUFFERED="1")
    env.pop(PROBE_ENV, None)
    env.pop(TRACE_ENV, None)
    return env


# Run in a child process on the server's database before the server starts: known passwords for one
# account per role (the write path: core.platform.users), the busiest project and its label.
PREPARE = r"""
import json, sys
from core import app
from core.platform import db, users
from core.platform.actor import Actor
from schemas import choices
database = app.bootstrap()
scale, out = int(sys.argv[1]), sys.argv[2]
admin = Actor("bench-memory", ("admin",))
accounts = {}
if scale == 1:
    from tests.browser.conftest import DEMO_PASSWORDS
    accounts = {"leader": ("leader", DEMO_PASSWORDS["leader"]), "staff": ("staff", DEMO_PASSWORDS["staff"]),
                "reviewer": ("expert", DEMO_PASSWORDS["expert"]), "admin": ("admin", DEMO_PASSWORDS["admin"])}
else:
    accounts["leader"] = ("leader", users.reset_password("leader", admin, db=database))
    expert = database.fetch_one("SELECT a.reviewer, count(*) AS n FROM assignments a JOIN users u"
                                " ON u.username = a.reviewer WHERE u.active GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")
    accounts["reviewer"] = (expert["reviewer"], users.reset_password(expert["reviewer"], admin, db=database))
    for role, name in (("staff", "基准职员"), ("admin", "基准管理员")):
        username = f"bench-{role}"
        if users.get(username, db=database) is None:
            accounts[role] = users.create({"username": username, "name": name, "email": f"{username}@bench.hubdesk",
                                           "roles": [role], "active": True}, admin, db=database)
        else:
            accounts[role] = (username, users.reset_password(username, admin, db=database))
busy = database.fetch_one("SELECT project_id, count(*) AS n FROM activities GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")
counts = {t: database.scalar(f"SELECT count(*) FROM {t}") for t in
          ("organisations", "applications", "reviews", "projects", "activities", "training_attendance", "audit_log",
           "users")}
json.dump({"accounts": {r: list(a) for r, a in accounts.items()}, "project": {"id": busy["project_id"],
           "activities": busy["n"], "label": choices.label("projects", busy["project_id"])}, "counts": counts},
          open(out, "w"), ensure_ascii=False)
db.close_all()
"""


def prepare_database(work: Path, scale: int, db: Path | None) -> None:
    """The server's database in ``work``: the demo template (1x), or generated / copied (other scales)."""
    sys.path.insert(0, str(ROOT))
    from tests import demo_cache

    target = work / "hub.duckdb"
    if scale == 1:
        demo_cache.copy_to(target)
        return
    if db is not None:
        shutil.copy(db, target)
        for suffix in (".audit-head",):
            if Path(str(db) + suffix).exists():
                shutil.copy(Path(str(db) + suffix), Path(str(target) + suffix))
        secrets = db.parent / "secrets.toml"
        if secrets.exists():
            shutil.copy(secrets, work / "secrets.toml")
        return
    env = dict(os.environ, HUBDESK_SECRETS=str(work / "secrets.toml"), HUBDESK_BCRYPT_ROUNDS="4", HUBDESK_DEMO="0")
    done = subprocess.run([sys.executable, "bench/generate.py", "--scale", str(scale), "--out", str(target), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"bench/generate.py failed:\n{done.stderr[-3000:]}")


def start(work: Path, scale: int, trace: bool, log_path: Path, server_vars: dict | None = None):
    env = dict(server_env(work, scale, trace), **(server_vars or {}))
    prep = subprocess.run([sys.executable, "-c", PREPARE, str(scale), str(work / "prepared.json")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    if prep.returncode != 0:
        raise SystemExit(f"preparing the accounts failed:\n{prep.stderr[-3000:]}")
    prepared = json.loads((work / "prepared.json").read_text(encoding="utf-8"))
    port = _free_port()
    env = dict(env, PYTHONPATH=os.pathsep.join([str(work / "site")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                                                          else [])))
    env[PROBE_ENV] = str(work / "probe")
    if trace:
        env[TRACE_ENV] = "1"
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop() -> None:
        # here, not at the top: the probe imports this file inside the server (standard library only there)
        from tests.browser.conftest import end_process

        end_process(proc, timeout=15)
        log.close()

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _healthy(base):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop()
            raise SystemExit(f"streamlit did not become healthy; see {log_path}")
        time.sleep(0.1)
    return base, proc, stop, prepared


# ---- the browsers --------------------------------------------------------------------------------------
def _load_browser():
    for p in (str(ROOT), str(BENCH)):
        if p not in sys.path:
            sys.path.insert(0, p)
    import load_browser  # bench/load_browser.py: login, settle, wait_for_app (async)

    return load_browser


async def open_screen(lb, page, title: str, url: str) -> None:
    """A sidebar link (the same Streamlit session), then until the screen is idle."""
    nav = page.locator("[data-testid='stSidebarNav']")
    await nav.wait_for(timeout=WAIT_MS)
    more = page.locator("[data-testid='stSidebarNavViewButton']")
    if await more.count() and "more" in (await more.inner_text()):
        await more.click()
        await page.locator("[data-testid='stSidebarNavViewButton']", has_text="less").wait_for(timeout=WAIT_MS)
    link = nav.locator("a[data-testid='stSidebarNavLink']").filter(has=page.get_by_text(title, exact=True)).first
    await link.click()
    await page.wait_for_url(re.compile(rf"/{re.escape(url)}(\?|$)"), timeout=WAIT_MS)
    await lb.settle(page, quiet_ms=300, timeout=WAIT_MS)


def walk_plan(role: str, prepared: dict) -> list[tuple]:
    """(kind, title, url, extra) steps of a role's walk."""
    if role == "leader":
        from core.ui import dashboard_view

        steps = [("screen", "数据总览", "dashboard-overview", None), ("screen", "专题分析", "dashboard-charts", None)]
        steps += [("view", label, "dashboard-charts", None) for label, _ in list(dashboard_view.VIEWS.values())[1:]]
        steps += [("screen", "会议大屏", "dashboard-meeting", None), ("link", "退出大屏", "dashboard-overview", None)]
        return steps
    if role == "staff":
        return [("screen", "社会组织台账", "orgs", None), ("screen", "申报项目", "application-list", None),
                ("screen", "资格审查", "screening-queue", None), ("screen", "评审汇总", "review-summary", None),
                ("screen", "项目监管", "funded-projects", None), ("screen", "项目档案", "project-file", None),
                ("project", prepared["project"]["label"], "project-file", prepared["project"]["id"]),
                ("screen", "服务台账录入", "activity-ledger", None), ("screen", "能力培训", "trainings", None)]
    if role == "reviewer":
        return [("screen", "我的评审", "my-reviews", None)]
    return [("screen", "审计日志", "audit-log", None), ("screen", "用户与角色", "accounts", None)]


async def do_step(lb, page, step: tuple) -> None:
    kind, title, url, extra = step
    if kind == "screen":
        await open_screen(lb, page, title, url)
    elif kind == "view":
        await page.locator("[data-testid='stRadio'] label").filter(has_text=re.compile(rf"^{re.escape(title)}$")) \
            .first.click()
        await lb.settle(page, quiet_ms=300, timeout=WAIT_MS)
    elif kind == "link":
        await page.get_by_role("link", name=title).first.click()
        await page.wait_for_url(re.compile(rf"/{re.escape(url)}(\?|$)"), timeout=WAIT_MS)
        await lb.settle(page, quiet_ms=300, timeout=WAIT_MS)
    elif kind == "project":
        box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").first
        await box.click()
        await page.keyboard.type(title[:40])
        await page.get_by_role("option", name=title, exact=True).first.click()
        await page.wait_for_url(re.compile(rf"/{url}\?id={extra}"), timeout=WAIT_MS)
        await lb.settle(page, quiet_ms=300, timeout=WAIT_MS)


async def _session(lb, browser, base: str, i: int, role: str, account: tuple[str, str], prepared: dict,
                   signing_in: asyncio.Lock, walking: asyncio.Semaphore, signed: asyncio.Barrier,
                   go: asyncio.Event, done: asyncio.Barrier, finish: asyncio.Event, on_signed_in, on_step, log: dict,
                   artifacts: Path, probe_steps=None, skip: tuple = ()) -> None:
    from tests.browser.conftest import _NO_ANIMATIONS, _TRACK_SCRIPT_STATE

    ctx = page = None
    try:
        try:
            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            ctx.set_default_timeout(WAIT_MS)
            await ctx.add_init_script(_TRACK_SCRIPT_STATE)
            await ctx.add_init_script(_NO_ANIMATIONS)
            page = await ctx.new_page()
            async with signing_in:
                t0 = time.perf_counter()
                await lb.login(page, base, account[0], account[1])
                log["signed_in_s"] = round(time.perf_counter() - t0, 1)
                on_signed_in(i, role)
        except Exception as exc:  # noqa: BLE001
            log["errors"].append(f"signing in: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        finally:
            await signed.wait()
        await go.wait()
        if "signed_in_s" in log:
            async with walking:
                t0 = time.perf_counter()
                for step in walk_plan(role, prepared):
                    if step[1] in skip:
                        continue
                    try:
                        await do_step(lb, page, step)
                        log["steps"].append(step[1])
                        on_step(i, role, step[1])
                        if probe_steps is not None:
                            probe_steps.append({"step": f"{i + 1} {role}: {step[1]}",
                                                **brief(await asyncio.to_thread(probe_steps.probe.ask))})
                    except Exception as exc:  # noqa: BLE001 - noted; the walk goes on
                        log["errors"].append(f"{step[1]}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                        try:
                            artifacts.mkdir(exist_ok=True)
                            await page.screenshot(path=str(artifacts / f"memory-{i:02d}-{role}-{len(log['errors'])}.png"))
                        except Exception:  # noqa: BLE001
                            pass
                        try:  # a lost connection: load the step's screen again (a new session, the cookie signs it in)
                            await page.goto(f"{base}/{step[2]}", wait_until="domcontentloaded")
                            await lb.settle(page, quiet_ms=300, timeout=WAIT_MS)
                            log["reloads"] = log.get("reloads", 0) + 1
                        except Exception as again:  # noqa: BLE001
                            log["errors"].append(f"reloading {step[2]}: {type(again).__name__}")
                log["walk_s"] = round(time.perf_counter() - t0, 1)
        await done.wait()
        await finish.wait()  # the session stays open (signed in, on its last screen) until measured
    finally:
        if ctx is not None:
            await ctx.close()


class StepLog(list):
    probe: "Probe"


def brief(p: dict) -> dict:
    """The few figures of a probe worth following step by step."""
    def g(*path):
        v = p
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        return v
    duck = p.get("duckdb") if isinstance(p.get("duckdb"), list) else []
    return {"rss_mb": _MB(g("smaps", "total_bytes")), "anon_mb": _MB(g("smaps", "anonymous_bytes")),
            "malloc_in_use_mb": _MB(g("malloc", "in_use_bytes")), "malloc_free_mb": _MB(g("malloc", "free_in_heap_bytes")),
            "duckdb_mb": _MB(sum(d.get("memory_bytes", 0) for d in duck)), "frames_mb": _MB(g("pandas_frames", "bytes")),
            "traced_mb": _MB(g("tracemalloc", "traced_bytes")), "sessions_mb": _MB(g("streamlit", "sessions", "bytes")),
            "cache_mb": _MB((g("hubdesk_cache", "default", "bytes") or 0) + (g("hubdesk_cache", "large", "bytes") or 0)
                            + (g("hubdesk_cache", "lookups", "bytes") or 0)),
            "top_sites": [f"{s['site']} {_MB(s['bytes'])}" for s in (g("tracemalloc", "by_site") or [])[:5]]}


def drive(base: str, prepared: dict, sessions: int, parallel: int, sampler: Sampler, probe: Probe,
          result: dict, artifacts: Path, probe_steps: bool = False, skip: tuple = ()) -> None:
    lb = _load_browser()
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable

    roles = [ROLES[i % len(ROLES)] for i in range(sessions)]
    logs = [{"role": r, "user": prepared["accounts"][r][0], "steps": [], "errors": []} for r in roles]
    result["sessions"] = logs

    steps = None
    if probe_steps:
        steps = StepLog()
        steps.probe = probe
        result["step_probes"] = steps

    async def main() -> None:
        signing_in, walking = asyncio.Lock(), asyncio.Semaphore(max(1, parallel))
        signed, done = asyncio.Barrier(sessions + 1), asyncio.Barrier(sessions + 1)
        go, finish = asyncio.Event(), asyncio.Event()

        def on_signed_in(i: int, role: str) -> None:
            sampler.mark(f"signed in {i + 1} ({role})")

        def on_step(i: int, role: str, title: str) -> None:
            sampler.mark(f"{i + 1} {role}: {title}")

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_executable(), headless=True,
                                               args=CHROMIUM_ARGS)
            try:
                jobs = [asyncio.create_task(_session(lb, browser, base, i, r, tuple(prepared["accounts"][r]), prepared,
                                                     signing_in, walking, signed, go, done, finish, on_signed_in, on_step,
                                                     logs[i], artifacts, steps, skip)) for i, r in enumerate(roles)]
                await signed.wait()
                result["rss_after_signins_mb"] = sampler.mark("after the sign-ins")
                result["probe_after_signins"] = await asyncio.to_thread(probe.ask)
                t0 = time.perf_counter()
                go.set()
                await done.wait()
                result["walk_s"] = round(time.perf_counter() - t0, 1)
                result["rss_after_walk_mb"] = sampler.mark("after the walks")
                await asyncio.sleep(5)
                result["rss_after_walk_idle_mb"] = sampler.mark("after the walks, 5 s idle")
                result["hwm_before_probe_mb"] = sampler.hwm_mb()
                result["peak_mb"] = sampler.peak_mb()
                result["probe_after_walk"] = await asyncio.to_thread(probe.ask)
                finish.set()
                await asyncio.gather(*jobs)
            finally:
                await browser.close()

    asyncio.run(main())


def run_scale(scale: int, sessions: int, parallel: int, trace: bool, db: Path | None,
              probe_steps: bool = False, server_vars: dict | None = None, skip: tuple = ()) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"hubdesk-memory-{scale}x-"))
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    result: dict = {"scale": scale, "skipped": list(skip), "sessions_asked": sessions, "parallel": parallel, "tracemalloc": trace,
                    "started": dt.datetime.now().isoformat(timespec="seconds"), "loadavg_start": os.getloadavg()}
    try:
        t0 = time.perf_counter()
        print(f"{scale}x: preparing the database ...", flush=True)
        prepare_database(work, scale, db)
        result["db_bytes"] = (work / "hub.duckdb").stat().st_size
        base, proc, stop, prepared = start(work, scale, trace, artifacts / f"server-memory-{scale}x.log", server_vars)
        result["server_env"] = server_vars or {}
        result["prepare_s"] = round(time.perf_counter() - t0, 1)
        result["counts"] = prepared["counts"]
        result["project"] = prepared["project"]
        result["accounts"] = {r: a[0] for r, a in prepared["accounts"].items()}
        try:
            sampler = Sampler(proc.pid).start()
            probe = Probe(work / "probe", sampler)
            time.sleep(2)
            result["rss_after_start_mb"] = sampler.mark("after start")
            result["probe_after_start"] = probe.ask()
            print(f"{scale}x: server pid {proc.pid}, RSS after start {result['rss_after_start_mb']} MB; "
                  f"{sessions} sessions signing in ...", flush=True)
            drive(base, prepared, sessions, parallel, sampler, probe, result, artifacts, probe_steps, skip)
            result["hwm_mb"] = sampler.hwm_mb()
            sampler.stop()
            result["marks"] = sampler.marks
            result["samples"] = sampler.samples
            result["children_max"] = sampler.children
        finally:
            stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["signed_in"] = sum("signed_in_s" in s for s in result.get("sessions", []))
    result["errors"] = [f"{i + 1} {s['role']}: {e}" for i, s in enumerate(result.get("sessions", [])) for e in s["errors"]]
    result["ended"] = dt.datetime.now().isoformat(timespec="seconds")
    result["loadavg_end"] = os.getloadavg()
    return result


# ---- the report --------------------------------------------------------------------------------------
def _MB(b) -> str:
    return "–" if b is None else f"{b / 1048576:.1f}"


def _held_rows(p: dict) -> list[str]:
    if not p or "error" in p:
        return [f"| (probe failed: {p.get('error') if p else 'none'}) | |"]
    hc, stl, duck = p.get("hubdesk_cache", {}), p.get("streamlit", {}), p.get("duckdb") or []
    rows = []
    for label in ("default", "large"):
        c = hc.get(label) or {}
        if c:
            rows.append(f"| HubDesk read cache `{label}` ({c.get('entries')} of at most {c.get('max_entries')}"
                        f" entries) | {_MB(c.get('bytes'))} |")
    lk = hc.get("lookups") or {}
    if lk:
        rows.append(f"| HubDesk choice maps (`core.platform.lookups`, {lk.get('entries')} lists) | {_MB(lk.get('bytes'))} |")
    cd = stl.get("cache_data") or {}
    rows.append(f"| `st.cache_data` ({cd.get('entries', 0)} entries) | {_MB(cd.get('bytes', 0))} |")
    ss = stl.get("sessions") or {}
    rows.append(f"| `st.session_state` of {ss.get('count')} Streamlit sessions ({ss.get('active')} connected)"
                f" | {_MB(ss.get('bytes'))} |")
    for d in duck if isinstance(duck, list) else []:
        rows.append(f"| DuckDB buffer memory (`duckdb_memory()`; memory_limit {d['settings'].get('memory_limit')},"
                    f" threads {d['settings'].get('threads')}) | {_MB(d.get('memory_bytes'))} |")
    fr = p.get("pandas_frames") or {}
    if "count" in fr:
        rows.append(f"| pandas DataFrames alive in the process ({fr['count']}, caches included) | {_MB(fr['bytes'])} |")
    m = p.get("malloc") or {}
    if "in_use_bytes" in m:
        rows.append(f"| glibc heap: in use / free but kept / mmapped | {_MB(m['in_use_bytes'])} /"
                    f" {_MB(m['free_in_heap_bytes'])} / {_MB(m['mmapped_bytes'])} |")
    if p.get("pyarrow_bytes") is not None:
        rows.append(f"| pyarrow allocator | {_MB(p['pyarrow_bytes'])} |")
    return rows


# What the runs of 2026-12-07 found. Kept beside the figures; check it against them after a new run.
ANALYSIS = """**Analysis (runs of 2026-12-07).** Met: at 100x with 20 signed-in sessions the server peaks at about
400 MB (VmHWM 401 MB), 1x at about 350 MB. A first run on the code of 845bb56 had missed it by a factor of nine
(4.5 GB): the 能力培训 screen computed its 培训成效 tables in pandas on every run of every session — 1.17 million
(training, organisation) pairs merged with 123,000 assessment scores, 1 GB of high-water mark and 60-100 s of
CPU each, five staff sessions at once. That computation is now one SQL statement over range joins, cached until
a table it reads is written, and drawn only when its tab is open (632a8be); the same walk then stays at the
figures above, with or without 能力培训.

What the memory is: the first sign-in imports the app (55 MB -> about 300 MB); each further session adds about
1.5 MB. After the walks at 100x the HubDesk read caches hold about 15 entries (under 1 MB), the choice maps
(`core.platform.lookups`) 4.5 MB (the 7,600 projects' labels), the 20 sessions' `st.session_state` 15 MB (a
staff session's 2 MB is widget metadata), `st.cache_data` nothing, DuckDB's buffer manager 27 MB (its
`memory_limit` is the default 80% of RAM, never approached). The rest is the process itself: about 125 MB of
mapped libraries (`_duckdb.so` alone 44 MB), 110 MB of glibc heap, 120 MB of other anonymous memory (DuckDB's
and pyarrow's allocators, thread stacks), 20 MB of CPython object arenas. Nothing grows with the data beyond
the choice maps, so the margin (100 MB) holds for more sessions: at 1.5 MB each, about 60 more."""


def _label(r: dict) -> str:
    return f"{r['scale']}x" + (f" without {'、'.join(r['skipped'])}" if r.get("skipped") else "")


def markdown_section(doc: dict) -> str:
    """``bench/out/memory.json`` as a section of ``bench/RESULTS.md``."""
    runs = [doc["results"][k] for k in sorted(doc.get("results", {}), key=lambda k: (int(k.split("-")[0]), k))]
    if not runs:
        return "## Server memory (issue 17)\n\nNot measured yet (`python3 bench/memory.py`).\n"
    lines = ["## Server memory (issue 17)", "",
             f"Target: the server's resident memory stays below **{LIMIT_MB} MB** at 100x with 20 signed-in"
             " sessions. Measured with `python3 bench/memory.py` (a real `streamlit run Home.py`, headless"
             " chromium, one browser context per session, each signed in through the form, then walking its"
             " role's screens and staying open; RSS from `/proc/<pid>/status` every 0.5 s, the server's"
             " children included).", "",
             "| scale | sessions signed in | RSS after start | after the sign-ins | after the walks | peak (samples)"
             " | VmHWM | below 500 MB? |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        peak = r.get("peak_mb")
        ok = "yes" if peak is not None and max(peak, r.get("hwm_before_probe_mb") or 0) < LIMIT_MB else "**no**"
        lines.append(f"| {_label(r)} | {r.get('signed_in')} of {r.get('sessions_asked')} |"
                     f" {r.get('rss_after_start_mb')} MB | {r.get('rss_after_signins_mb')} MB |"
                     f" {r.get('rss_after_walk_mb')} MB | {peak} MB | {r.get('hwm_before_probe_mb')} MB | {ok} |")
    lines += ["", "VmHWM is read before the last probe (the probe itself allocates while it walks the heap)."
              " Each run: " + "; ".join(
                  f"{r['scale']}x {r.get('started')} – {r.get('ended')}, load average {r['loadavg_start'][0]:.1f}"
                  f"{' (tracemalloc on: figures inflated)' if r.get('tracemalloc') else ''}" for r in runs) + ".", ""]
    for r in runs:
        p = r.get("probe_after_walk") or {}
        lines += [f"**What the server holds at {_label(r)} after the walks** (the bench's probe in the server"
                  " process):", "", "| held by | MB |", "|---|---:|", *_held_rows(p), ""]
        big = [e for label in ("default", "large") for e in (p.get("hubdesk_cache", {}).get(label) or {}).get("largest", [])]
        big.sort(key=lambda e: -e["bytes"])
        if big:
            lines.append("Largest cached reads: " + "; ".join(
                f"`{e['name']}` {e['rows']} rows {_MB(e['bytes'])} MB" for e in big[:5]) + ".")
        ss = (p.get("streamlit") or {}).get("sessions", {}).get("each") or []
        if ss:
            top = ss[0]
            lines.append(f"Largest session state: {_MB(top['bytes'])} MB ({top.get('user')}; "
                         + ", ".join(f"`{k['key']}` {_MB(k['bytes'])} MB" for k in top["largest_keys"][:3]) + ").")
        tr = p.get("tracemalloc")
        if tr:
            lines.append("Top allocation sites (tracemalloc): " + "; ".join(
                f"{s['site']} {_MB(s['bytes'])} MB" for s in tr["by_site"][:6]) + ".")
        if r.get("errors"):
            lines.append(f"Walk errors ({len(r['errors'])}): " + "; ".join(r["errors"][:4]) + ".")
        lines.append("")
    if "100" in doc.get("results", {}):
        lines += [doc.get("analysis") or ANALYSIS, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, nargs="+", default=[1, 100])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=4, help="walks at the same time")
    ap.add_argument("--tracemalloc", action="store_true", help="also trace allocations (inflates RSS)")
    ap.add_argument("--db", type=Path, default=None, help="copy this database instead of generating (not 1x)")
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                    help="an extra environment variable for the server (e.g. MALLOC_ARENA_MAX=2)")
    ap.add_argument("--skip", action="append", default=[], metavar="SCREEN",
                    help="leave this screen out of the walks (its title, e.g. 能力培训); the run is stored as <scale>-without")
    ap.add_argument("--probe-steps", action="store_true", help="probe the server after every step (use --parallel 1)")
    ap.add_argument("--json", type=Path, default=JSON_OUT, help="where the figures go (default bench/out/memory.json)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    doc = json.loads(args.json.read_text(encoding="utf-8")) if args.json.exists() else {"results": {}}
    for s in args.scale:
        r = run_scale(s, args.sessions, args.parallel, args.tracemalloc, args.db, args.probe_steps,
                      dict(v.split("=", 1) for v in args.server_env), tuple(args.skip))
        r["command"] = "python3 bench/memory.py " + " ".join(argv if argv is not None else sys.argv[1:])
        print(f"{s}x: after start {r.get('rss_after_start_mb')} MB, after {r['signed_in']} sign-ins"
              f" {r.get('rss_after_signins_mb')} MB, after the walks {r.get('rss_after_walk_mb')} MB,"
              f" peak {r.get('peak_mb')} MB, VmHWM {r.get('hwm_before_probe_mb')} MB; errors {len(r['errors'])}",
              flush=True)
        for e in r["errors"][:10]:
            print("  " + e)
        doc["results"][f"{s}-without" if args.skip else str(s)] = r
        if not args.no_write:
            args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if not args.no_write:
        print(f"wrote {args.json}")
    print(markdown_section(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
