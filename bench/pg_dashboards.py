"""The dashboard queries on PostgreSQL beside DuckDB (issue 20): the same benchmark data in both engines, every named
query of :data:`core.dashboards.dashboard.QUERIES` timed on each, and the ratio. Writes ``bench/RESULTS-pg.md``.

    python3 bench/pg_dashboards.py [--scale 1] [--repeat 7] [--out bench/RESULTS-pg.md]

1. The benchmark's data at ``--scale`` (``bench/generate.py``; built once per code version by
   ``tests/demo_cache.bench_template``), copied to a temporary folder with its audit key.
2. A throwaway PostgreSQL cluster (``tests/pg_cluster.py``: ``initdb`` in a temporary folder, the tests' settings —
   fsync off, ``shared_buffers`` 32 MB —, not a tuned server) and an empty database; the copy moved into it with
   ``move-to-postgres``'s code (:func:`core.platform.export.move_database`: COPY, every table checked), timed.
3. Per engine, in this one process, one engine after the other: each query once to warm up (connections, plans,
   buffers), then ``--repeat`` times **raw** (the query function, no cache) and **cold** (``dashboard.run`` after
   ``cache.clear()``: what a screen pays after a write); medians.

Both engines run on the same machine at the same moment, so the **ratios** carry the result (this 2-core machine is
shared; absolute milliseconds move with its load). No assertion: this reports.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = ROOT / "bench"


def _median_ms(fn, repeat: int, before=None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(db, repeat: int) -> dict[str, dict]:
    from core.dashboards import dashboard
    from core.platform import cache

    f = dashboard.Filters().resolved()
    out = {}
    for name, q in dashboard.QUERIES.items():
        rows = len(q.fn(f, db))  # warm-up
        out[name] = {"label": q.label, "rows": rows,
                     "raw": _median_ms(lambda: q.fn(f, db), repeat),
                     "cold": _median_ms(lambda: dashboard.run(name, None, db), repeat, cache.clear)}
    return out


def _fmt(ms: float) -> str:
    return f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def report(scale: int, repeat: int, duck: dict, pg: dict, moved: dict, started: str, loads: tuple) -> str:
    lines = [
        f"# Dashboard queries on PostgreSQL beside DuckDB ({scale}x, issue 20)", "",
        f"Run {started} with `python3 bench/pg_dashboards.py --scale {scale} --repeat {repeat}`: medians of {repeat}, "
        f"in milliseconds; load average {loads[0]:.2f} at the start, {loads[1]:.2f} at the end ({os.cpu_count()} cores, "
        "shared with other work: read the **ratios**). How it measures: the docstring of `bench/pg_dashboards.py`.", "",
        f"Data: the benchmark's {scale}x data (`bench/generate.py`), {moved['tables']} tables, {moved['rows']:,} rows, "
        f"moved from the DuckDB file into PostgreSQL by `move-to-postgres`'s code in {moved['seconds']:.1f} s (COPY, "
        "then every table read back and compared, and the audit chain verified, in one transaction).", "",
        "**raw** = the query function without the cache; **cold** = `dashboard.run` with the cache cleared first "
        "(what a screen pays after a write). Ratio = PostgreSQL / DuckDB.", "",
        "| query | rows | DuckDB raw | PostgreSQL raw | ratio | DuckDB cold | PostgreSQL cold | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tot = {"draw": 0.0, "praw": 0.0, "dcold": 0.0, "pcold": 0.0}
    for name, d in duck.items():
        p = pg[name]
        rows = str(d["rows"]) if d["rows"] == p["rows"] else f"{d['rows']} / {p['rows']}"
        lines.append(f"| {name} ({d['label']}) | {rows} | {_fmt(d['raw'])} | {_fmt(p['raw'])} | {p['raw'] / d['raw']:.1f}× "
                     f"| {_fmt(d['cold'])} | {_fmt(p['cold'])} | {p['cold'] / d['cold']:.1f}× |")
        tot["draw"] += d["raw"]
        tot["praw"] += p["raw"]
        tot["dcold"] += d["cold"]
        tot["pcold"] += p["cold"]
    lines.append(f"| **all queries (sum)** | | {_fmt(tot['draw'])} | {_fmt(tot['praw'])} | {tot['praw'] / tot['draw']:.1f}× "
                 f"| {_fmt(tot['dcold'])} | {_fmt(tot['pcold'])} | {tot['pcold'] / tot['dcold']:.1f}× |")
    lines += ["", "Rows shown as `a / b` differ between the engines (DuckDB / PostgreSQL); equal counts are one number.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="HubDesk dashboard queries: PostgreSQL beside DuckDB")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS-pg.md")
    ap.add_argument("--analyze", action="store_true", help="ANALYZE the PostgreSQL database after the move")
    args = ap.parse_args(argv)

    from tests import demo_cache, pg_cluster

    started = dt.datetime.now().isoformat(timespec="seconds")
    load_start = os.getloadavg()[0]
    source = demo_cache.bench_template(args.scale, dt.date.today())
    work = Path(tempfile.mkdtemp(prefix="hubdesk-pgbench-"))
    cluster = pg_cluster.Cluster()
    try:
        duck_path = demo_cache.copy_to(work / "bench.duckdb", source)
        os.environ.update(demo_cache.FAST_ENV, HUBDESK_DB=str(duck_path), HUBDESK_SECRETS=str(work / "secrets.toml"),
                          HUBDESK_DATA_DIR=str(work), HUBDESK_DEMO="0")
        cluster.start()
        url = cluster.url(cluster.create(prefix="bench"))

        from core.platform import db as core_db
        from core.platform import export

        duck = core_db.get_db(duck_path)
        pgdb = core_db.get_db(url)
        t = time.perf_counter()
        moved = export.move_database(duck, pgdb)
        moved_info = {"tables": len(moved.sums), "rows": sum(s.rows for s in moved.sums.values()),
                      "seconds": time.perf_counter() - t}
        if args.analyze:  # the planner's statistics, as autovacuum would gather them some time after a bulk load
            with pgdb.transaction() as tx:
                tx.execute("ANALYZE")
        duck_ms = measure(duck, args.repeat)
        pg_ms = measure(pgdb, args.repeat)
        text = report(args.scale, args.repeat, duck_ms, pg_ms, moved_info, started, (load_start, os.getloadavg()[0]))
        core_db.close_all()
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
