"""The dashboard queries on PostgreSQL beside DuckDB (issue 20): the same benchmark data in both engines, every named
query of :data:`core.dashboards.dashboard.QUERIES` timed on each, and the ratio. Writes ``bench/RESULTS-pg.md``.

    python3 bench/pg_dashboards.py [--scale 1] [--repeat 7] [--out bench/RESULTS-pg.md]

1. The benchmark's data at ``--scale`` (``bench/generate.py``; built once per code version by
   ``tests/demo_cache.bench_template``), copied to a temporary folder with its audit key.
2. A throwaway PostgreSQL cluster (``tests/pg_cluster.py``: ``initdb`` in a temporary folder, the tests' settings —
   fsync off, ``shared_buffers`` 32 MB —, not a tuned server) and an empty database; the copy moved into it with
   ``move-to-postgres``'s code (:func:`core.platform.export.move_database`: COPY, every table checked), timed.
3. The analytics **snapshot** (``HUBDESK_ANALYTICS=snapshot``, :mod:`core.platform.snapshot`): a DuckDB file made
   from the PostgreSQL database by :meth:`Snapshot.refresh`, timed in full (every table: a server's first refresh),
   then after one table's version moved (``table_versions`` bumped as a write of that table bumps it: the refresh
   copies that table alone), for a small table and for the largest the dashboards read; and with nothing moved.
   Its copy is checked against PostgreSQL (every copied table's rows and content checksum, as ``move-to-postgres``).
4. Per query, on each engine (DuckDB, PostgreSQL, the snapshot) in this one process, the engines taking turns within
   each repeat: once to warm up (connections, plans, buffers), then ``--repeat`` times **raw** (the query function,
   no cache), **cold**
   (``dashboard.run`` after ``cache.clear()``: what a screen pays after a write) and **warm** (``dashboard.run``
   with its figure cached: every later screen until a write); medians. On the snapshot a write reaches the figures
   at its next refresh: "after a write" there is the refresh of the written table plus the cold run.

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


def _ms(fn, before=None) -> float:
    """Milliseconds of one ``fn()`` (``before()`` first, not timed)."""
    if before:
        before()
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _median_ms(fn, repeat: int, before=None) -> float:
    return statistics.median(_ms(fn, before) for _ in range(repeat))


def measure(dbs: dict, repeat: int) -> dict[str, dict[str, dict]]:
    """Every query on every engine of ``dbs`` (name -> Database), the engines taking turns within each repeat (so a
    change of the machine's load meanwhile falls on all of them alike); medians per engine and query."""
    from core.dashboards import dashboard
    from core.platform import cache

    f = dashboard.Filters().resolved()
    out: dict[str, dict[str, dict]] = {e: {} for e in dbs}
    for name, q in dashboard.QUERIES.items():
        times = {e: {"raw": [], "cold": [], "warm": []} for e in dbs}
        for e, db in dbs.items():
            out[e][name] = {"label": q.label, "rows": len(q.fn(f, db))}  # warm-up
        for _ in range(repeat):
            for e, db in dbs.items():
                times[e]["raw"].append(_ms(lambda: q.fn(f, db)))
                times[e]["cold"].append(_ms(lambda: dashboard.run(name, None, db), cache.clear))
                times[e]["warm"].append(_ms(lambda: dashboard.run(name, None, db)))
        for e in dbs:
            out[e][name].update({k: statistics.median(v) for k, v in times[e].items()})
    return out


BIG_TABLE = "activities"  # the largest table the dashboards read (the service ledger)
SMALL_TABLE = "organisations"


def snapshot_refreshes(pgdb, folder: Path, repeat: int):
    """A Snapshot of ``pgdb`` (not routed: measured directly), its full refresh and one-table refreshes timed (ms),
    and its copy checked against PostgreSQL."""
    from core.platform import export, snapshot

    snap = snapshot.Snapshot(pgdb, folder, 60)
    first = snap.refresh()
    live, copy = export.engine_sums(pgdb), export.engine_sums(snap.db)
    masked = {t for t, _ in export.SECRET_COLUMNS}  # users' password hashes are not copied
    differ = sorted(t for t in first.copied if live[t] != copy[t] and t not in masked)
    if differ:
        raise SystemExit(f"the snapshot differs from PostgreSQL in {differ}")

    def moved(table: str):
        def bump() -> None:
            with pgdb.transaction() as tx:  # as a write of ``table`` bumps it
                tx.touch(table)
        return bump

    times = {"full": {"ms": first.seconds * 1000, "tables": len(first.copied), "rows": first.rows,
                      "mb": snap.path.stat().st_size / 2**20}}
    for key, table in (("small", SMALL_TABLE), ("big", BIG_TABLE)):
        rows = pgdb.scalar(f"SELECT count(*) FROM {table}")
        times[key] = {"ms": _median_ms(lambda: snap.refresh(), repeat, moved(table)), "tables": 1, "rows": rows,
                      "table": table}
    times["none"] = {"ms": _median_ms(lambda: snap.refresh(), repeat), "tables": 0, "rows": 0}
    return snap, times


def _fmt(ms: float) -> str:
    return f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def report(scale: int, repeat: int, duck: dict, pg: dict, snap: dict, refreshes: dict, moved: dict, started: str,
           loads: tuple) -> str:
    lines = [
        f"# Dashboard queries on PostgreSQL beside DuckDB, and on the analytics snapshot ({scale}x, issue 20)", "",
        f"Run {started} with `python3 bench/pg_dashboards.py --scale {scale} --repeat {repeat}`: medians of {repeat}, "
        f"in milliseconds; load average {loads[0]:.2f} at the start, {loads[1]:.2f} at the end ({os.cpu_count()} cores, "
        "shared with other work: read the **ratios**). How it measures: the docstring of `bench/pg_dashboards.py`.", "",
        f"Data: the benchmark's {scale}x data (`bench/generate.py`), {moved['tables']} tables, {moved['rows']:,} rows, "
        f"moved from the DuckDB file into PostgreSQL by `move-to-postgres`'s code in {moved['seconds']:.1f} s (COPY, "
        "then every table read back and compared, and the audit chain verified, in one transaction; then ANALYZE).", "",
        "**DuckDB** = the embedded file; **PostgreSQL** = live (`HUBDESK_ANALYTICS=live`, the default); **snapshot** = "
        "the DuckDB copy a server keeps of PostgreSQL (`HUBDESK_ANALYTICS=snapshot`, `core/platform/snapshot.py`). "
        "**raw** = the query function without the cache; **cold** = `dashboard.run` with the cache cleared first "
        "(what a screen pays after a write); **warm** = `dashboard.run` with the figure cached. "
        "Ratios: against DuckDB's time.", "",
        "| query | rows | DuckDB raw | PostgreSQL raw | snapshot raw | PG ratio | snapshot ratio "
        "| DuckDB cold | PostgreSQL cold | snapshot cold | PG ratio | snapshot ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = ("raw", "cold", "warm")
    tot = {(e, k): 0.0 for e in ("d", "p", "s") for k in keys}
    for name, d in duck.items():
        p, n = pg[name], snap[name]
        counts = {d["rows"], p["rows"], n["rows"]}
        rows = str(d["rows"]) if len(counts) == 1 else f"{d['rows']} / {p['rows']} / {n['rows']}"
        lines.append(f"| {name} ({d['label']}) | {rows} "
                     f"| {_fmt(d['raw'])} | {_fmt(p['raw'])} | {_fmt(n['raw'])} | {p['raw'] / d['raw']:.1f}× "
                     f"| {n['raw'] / d['raw']:.1f}× "
                     f"| {_fmt(d['cold'])} | {_fmt(p['cold'])} | {_fmt(n['cold'])} | {p['cold'] / d['cold']:.1f}× "
                     f"| {n['cold'] / d['cold']:.1f}× |")
        for e, m in (("d", d), ("p", p), ("s", n)):
            for k in keys:
                tot[(e, k)] += m[k]
    lines.append(f"| **all queries (sum)** | | {_fmt(tot['d', 'raw'])} | {_fmt(tot['p', 'raw'])} | {_fmt(tot['s', 'raw'])} "
                 f"| {tot['p', 'raw'] / tot['d', 'raw']:.1f}× | {tot['s', 'raw'] / tot['d', 'raw']:.1f}× "
                 f"| {_fmt(tot['d', 'cold'])} | {_fmt(tot['p', 'cold'])} | {_fmt(tot['s', 'cold'])} "
                 f"| {tot['p', 'cold'] / tot['d', 'cold']:.1f}× | {tot['s', 'cold'] / tot['d', 'cold']:.1f}× |")
    lines += ["", "Rows shown as `a / b / c` differ between DuckDB / PostgreSQL / the snapshot; equal counts are one "
              "number.", "",
              f"**Warm** (the cached figure; all queries, sum): DuckDB {_fmt(tot['d', 'warm'])}, PostgreSQL "
              f"{_fmt(tot['p', 'warm'])}, snapshot {_fmt(tot['s', 'warm'])}; the slowest single query "
              f"{_fmt(max(m['warm'] for e in (duck, pg, snap) for m in e.values()))}.", "",
              "## The snapshot's refreshes", "",
              "What a refresh costs (one REPEATABLE READ read of PostgreSQL, the moved tables copied by COPY … TO STDOUT "
              "(CSV) and DuckDB's read_csv, one DuckDB transaction); the copy was checked against PostgreSQL (every "
              "table's rows and content checksum equal; `users`' password hashes are not copied).", "",
              "| refresh | tables copied | rows copied | ms |", "|---|---:|---:|---:|"]
    for key, what in (("full", "full (a server's first)"), ("small", "one table moved: {table}"),
                      ("big", "one table moved: {table} (the largest the dashboards read)"),
                      ("none", "nothing moved")):
        r = refreshes[key]
        lines.append(f"| {what.format(table=r.get('table', ''))} | {r['tables']} | {r['rows']:,} | {_fmt(r['ms'])} |")
    lines += ["", f"The snapshot's file after the full refresh: {refreshes['full']['mb']:,.0f} MB."]
    big = refreshes["big"]
    lines += ["", f"After a write of `{big['table']}` the snapshot's figures change at its next refresh "
              f"({_fmt(big['ms'])}, in the server's background thread, no screen waits for it); the dashboards then "
              f"compute their figures cold: {_fmt(tot['s', 'cold'])} for all queries on the snapshot against "
              f"PostgreSQL's {_fmt(tot['p', 'cold'])}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="HubDesk dashboard queries: PostgreSQL beside DuckDB")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS-pg.md")
    ap.add_argument("--analyze", action="store_true", help="ANALYZE again after the move (move-to-postgres runs it now)")
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
        snap, refreshes = snapshot_refreshes(pgdb, work, args.repeat)
        ms = measure({"duck": duck, "pg": pgdb, "snap": snap.db}, args.repeat)
        text = report(args.scale, args.repeat, ms["duck"], ms["pg"], ms["snap"], refreshes, moved_info, started,
                      (load_start, os.getloadavg()[0]))
        snap.stop()
        core_db.close_all()
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
