"""Full export of every table, import of an export into an empty database, content checksums.

* **Parquet** (``export_parquet``): one ``<table>.parquet`` per table and a ``manifest.json`` (schema
  version, each table's columns, row count and content checksum, the sequences' positions), in a
  directory or a ``.zip``. ``import_parquet`` loads it into an *empty*, migrated database of the same
  schema version in one transaction, checks every count and checksum before committing, then moves the
  id sequences past the imported rows.
* **Excel** (``export_excel``): a ``说明`` sheet (tables, rows, sheets, checksums) and one sheet per table,
  for reading and archiving, not for re-import. Excel's limits: a sheet holds 1,048,576 rows (header
  included), so a longer table continues on ``<table>~2``, ``<table>~3``...; sheet names have at most 31
  characters; a cell holds at most 32,767 characters (longer text is cut and counted in ``说明``). Text
  is neutralised against formula injection and stripped of characters XML cannot carry; password hashes
  are masked.

Every export reads one snapshot (a single read transaction), so the tables agree with each other while
the server keeps writing. The checksum of a table is the md5 of its rows' JSON, sorted, computed in SQL.

* **Moving to PostgreSQL** (``move_database``, ``move_export``; ``python3 -m core.manage move-to-postgres``): every
  table of a DuckDB file (one snapshot) or of a Parquet export (checked against its manifest first) into a migrated,
  empty PostgreSQL database, in one transaction: ``COPY`` in batches, the sequences moved past the copied rows, then
  every table read back and compared with the source by row count and :func:`neutral_sum` (a checksum both engines
  compute alike: each row's values normalised, md5, summed), and the audit chain verified, before the commit; a table
  that differs is named and nothing is stored.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import duckdb
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.platform import audit, records, users
from core.platform.errors import HubError, PermissionDenied
from core.platform.excel import neutralise

FORMAT = "hubdesk-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, header included
EXCEL_MAX_SHEET_NAME = 31
EXCEL_MAX_CELL = 32_767
SUMMARY_SHEET = "说明"
MASKED = "******"
SECRET_COLUMNS = {("users", "password_hash")}  # masked in Excel (the Parquet export keeps them, for import)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


class ExportRefused(HubError):
    pass


class ImportRefused(HubError):
    pass


@dataclass(frozen=True)
class TableSum:
    rows: int
    checksum: str


# ---- catalog and checksums (``con``: a DuckDB connection/cursor or a core.platform.db.Transaction) -------------
def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(con) -> list[str]:
    """The base tables of the ``main`` schema, by name."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]


def columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?"
        " ORDER BY ordinal_position", [table]).fetchall()]


def table_sum(con, table: str) -> TableSum:
    """Row count and md5 over the table's rows (each as JSON), sorted, so row order does not matter."""
    n, digest = con.execute(
        "SELECT count(*), md5(coalesce(string_agg(r, chr(10) ORDER BY r), ''))"
        f" FROM (SELECT CAST(to_json(hub_row__) AS VARCHAR) AS r FROM {quote(table)} AS hub_row__)").fetchone()
    return TableSum(int(n), digest)


def checksums(con) -> dict[str, TableSum]:
    """Every table's row count and content checksum."""
    return {t: table_sum(con, t) for t in tables(con)}


def schema_versions(con) -> list[int]:
    return [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]


def sequences(con) -> dict[str, int | None]:
    """Each sequence's last handed-out value (None: never used)."""
    return {r[0]: r[1] for r in con.execute(
        "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE schema_name = 'main'"
        " ORDER BY sequence_name").fetchall()}


def _duckdb_only(db) -> None:
    """The Parquet and Excel exports read DuckDB's catalog (schema ``main``) and write with DuckDB: on PostgreSQL they
    would find no table, so they refuse (a PostgreSQL database is backed up with ``pg_dump``)."""
    if getattr(db, "dialect", "duckdb") == "postgres":
        raise ExportRefused("完整导出(Parquet / Excel)目前只支持 DuckDB 数据库文件。PostgreSQL 数据库请用“立即备份”或"
                            " python3 -m core.manage backup(pg_dump 备份,可用 restore 恢复)。")


@contextmanager
def snapshot(db) -> Iterator[Any]:
    """A cursor inside one read transaction: every read sees the same committed state."""
    with db.read() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        finally:
            cur.execute("ROLLBACK")  # nothing was written; ends the snapshot


def database_sums(db) -> dict[str, TableSum]:
    """``checksums`` of an open Database, from one snapshot."""
    with snapshot(db) as cur:
        return checksums(cur)


# ---- Parquet ------------------------------------------------------------------------------------
def _fresh_target(dest: Path, suffixes: tuple[str, ...] | None) -> None:
    if suffixes is not None and dest.suffix.lower() not in suffixes:
        raise ExportRefused(f"导出文件名应以 {' 或 '.join(suffixes)} 结尾:{dest}")
    if dest.exists() and (dest.is_file() or any(dest.iterdir())):
        raise ExportRefused(f"导出位置 {dest} 已存在且不为空;请换一个位置,已有的文件不会被覆盖")
    dest.parent.mkdir(parents=True, exist_ok=True)


def _write_parquet(cur, folder: Path) -> dict:
    entries = {}
    for t in tables(cur):
        if not _NAME.match(t):
            raise ExportRefused(f"表名 {t!r} 不能用作文件名")
        file = f"{t}.parquet"
        cur.sql(f"SELECT * FROM {quote(t)}").write_parquet(str(folder / file))
        (folder / file).chmod(0o600)
        s = table_sum(cur, t)
        entries[t] = {"file": file, "rows": s.rows, "checksum": s.checksum, "columns": columns(cur, t)}
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": datetime.now().isoformat(timespec="seconds"),
        "schema_versions": schema_versions(cur), "tables": entries, "sequences": sequences(cur),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / MANIFEST).chmod(0o600)
    return manifest


def export_parquet(db, dest: Path | str) -> dict:
    """Every table to Parquet in ``dest`` (a new or empty directory, or a path ending in .zip).

    Written to a temporary folder beside ``dest`` first, so a failed export leaves nothing half-written.
    Returns the manifest."""
    _duckdb_only(db)
    dest = Path(dest)
    as_zip = dest.suffix.lower() == ".zip"
    _fresh_target(dest, None)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))  # mode 700
    try:
        with snapshot(db) as cur:
            manifest = _write_parquet(cur, work)
        if as_zip:
            part = dest.with_name(dest.name + ".part")
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(work.iterdir()):
                    zf.write(p, p.name)
            part.chmod(0o600)
            os.replace(part, dest)
        else:
            if dest.exists():
                dest.rmdir()
            work.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


@contextmanager
def _export_folder(src: Path) -> Iterator[Path]:
    """The export as a folder: the directory itself, or a zip's expected members in a temporary folder."""
    if src.is_dir():
        yield src
        return
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(f"{src} 不是 HubDesk 导出(应为导出的文件夹或 .zip):{exc}") from exc
    with zf, tempfile.TemporaryDirectory(prefix=".hubdesk-import-") as tmp:
        folder = Path(tmp)
        names = set(zf.namelist())
        if MANIFEST not in names:
            raise ImportRefused(f"{src} 不是 HubDesk 导出:缺少 {MANIFEST}")
        (folder / MANIFEST).write_bytes(zf.read(MANIFEST))
        for name in names:
            if name.endswith(".parquet") and _NAME.match(name[:-len(".parquet")]):  # no paths: no zip-slip
                with zf.open(name) as fin, open(folder / name, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
        yield folder


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportRefused(f"{folder} 不是 HubDesk 导出:无法读取 {MANIFEST}({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportRefused(f"{folder} 不是 HubDesk 导出({MANIFEST} 的格式不对)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(f"导出格式版本 {manifest.get('format_version')} 与本程序({FORMAT_VERSION})不一致")
    tables_ = manifest.get("tables")
    if not isinstance(tables_, dict) or not tables_ or not isinstance(manifest.get("schema_versions"), list):
        raise ImportRefused(f"{folder} 的 {MANIFEST} 不完整(缺少表清单或数据库版本)")
    for t, e in tables_.items():
        if (not _NAME.match(str(t)) or not isinstance(e, dict) or e.get("file") != f"{t}.parquet"
                or not isinstance(e.get("rows"), int) or not isinstance(e.get("checksum"), str)
                or not isinstance(e.get("columns"), list) or not all(isinstance(c, str) for c in e["columns"])):
            raise ImportRefused(f"{MANIFEST} 中的表 {t!r} 无效")
        if not (folder / e["file"]).is_file():
            raise ImportRefused(f"导出不完整:缺少文件 {e['file']}")
    return manifest


def _check_target(tx, manifest: dict) -> None:
    have, want = schema_versions(tx), list(manifest.get("schema_versions") or [])
    if have != want:
        raise ImportRefused(
            f"导出来自数据库版本 {want[-1] if want else '?'}(迁移 {want}),当前程序的数据库版本为 {have[-1] if have else '?'}"
            f"(迁移 {have})。请用与导出时相同版本的 HubDesk 导入;导入后再升级程序,启动时会自动迁移。")
    here = set(tables(tx))
    there = set(manifest["tables"])
    if here != there:
        extra, missing = sorted(there - here), sorted(here - there)
        raise ImportRefused("导出与当前数据库的表不一致:" + ";".join(
            part for part in (f"导出多出 {'、'.join(extra)}" if extra else "",
                              f"导出缺少 {'、'.join(missing)}" if missing else "") if part))
    for t in sorted(here):
        if set(columns(tx, t)) != set(manifest["tables"][t]["columns"]):
            raise ImportRefused(f"表 {t} 的列与导出不一致,无法导入")
        if t != "schema_version":
            n = tx.execute(f"SELECT count(*) FROM {quote(t)}").fetchone()[0]
            if n:
                raise ImportRefused(f"目标数据库不是空的(表 {t} 已有 {n} 行)。导入只能进入新建的空数据库:"
                                    "请用 HUBDESK_DB 指向一个尚不存在的文件再导入。")


def _advance_sequences(db, wanted: dict[str, int | None]) -> None:
    with db.transaction() as tx:
        rows = tx.fetch_all(
            "SELECT sequence_name AS name, last_value, start_value, increment_by FROM duckdb_sequences()"
            " WHERE schema_name = 'main'")
        for r in rows:
            target = wanted.get(r["name"])
            if target is None:
                continue
            current = r["last_value"] if r["last_value"] is not None else r["start_value"] - r["increment_by"]
            steps = (target - current) // r["increment_by"]
            if steps > 0:
                tx.execute("SELECT max(nextval(?)) FROM range(?)", [r["name"], steps])


def import_parquet(db, src: Path | str) -> dict[str, int]:
    """Load a Parquet export into ``db``, which must be empty and of the export's schema version.

    All tables in one transaction; the counts and checksums are compared with the manifest before the
    commit, so a damaged export stores nothing. Returns rows per table."""
    src = Path(src)
    if not src.exists():
        raise ImportRefused(f"找不到导出 {src}")
    with _export_folder(src) as folder:
        manifest = read_manifest(folder)
        entries = manifest["tables"]
        with db.transaction() as tx:
            _check_target(tx, manifest)
            tx.execute("DELETE FROM schema_version")  # the source's migration history replaces the fresh one
            for t, e in entries.items():
                cols = ", ".join(quote(c) for c in e["columns"])
                tx.execute(f"INSERT INTO {quote(t)} ({cols}) SELECT {cols} FROM read_parquet(?)",
                           [str(folder / e["file"])])
                tx.touch(t)
            for t, e in entries.items():
                got = table_sum(tx, t)
                if got.rows != e["rows"] or got.checksum != e["checksum"]:
                    raise ImportRefused(f"表 {t} 导入后与导出清单不符(行数 {got.rows}/{e['rows']}),导出可能已损坏;"
                                        "未导入任何数据。")
    _advance_sequences(db, manifest.get("sequences") or {})
    return {t: e["rows"] for t, e in entries.items()}


# ---- Excel --------------------------------------------------------------------------------------
def sheet_names(table: str, parts: int, used: set[str]) -> list[str]:
    """Excel-safe, unique (case-insensitively) names: ``table``, ``table~2``, ... cut to 31 characters."""
    base = _SHEET_BAD.sub("_", table).strip("'") or "sheet"
    names = []
    for k in range(1, parts + 1):
        n = 1
        while True:
            suffix = ("" if k == 1 else f"~{k}") + ("" if n == 1 else f"({n})")
            name = base[:EXCEL_MAX_SHEET_NAME - len(suffix)] + suffix
            if name.lower() not in used:
                break
            n += 1
        used.add(name.lower())
        names.append(name)
    return names


class _Cells:
    """Python values -> what openpyxl can store and Excel shows as plain data (never as a formula)."""

    def __init__(self):
        self.cut = 0

    def text(self, s: str) -> str:
        s = neutralise(ILLEGAL_CHARACTERS_RE.sub("", s))
        if len(s) > EXCEL_MAX_CELL:
            self.cut += 1
            s = s[:EXCEL_MAX_CELL - 1] + "…"
        return s

    def __call__(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, Decimal, datetime, date)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else str(v)
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, (list, tuple, dict)):
            return self.text(json.dumps(v, ensure_ascii=False, default=str))
        return self.text(str(v))


def export_excel(db, dest: Path | str, *, max_rows_per_sheet: int = EXCEL_MAX_ROWS) -> dict:
    """Every table to one .xlsx (see the module docstring for Excel's limits). Returns a summary:
    ``{"tables": {table: {"rows", "checksum", "sheets"}}, "cut_cells": n}``."""
    _duckdb_only(db)
    dest = Path(dest)
    _fresh_target(dest, (".xlsx",))
    per_sheet = max(1, max_rows_per_sheet - 1)
    wb = Workbook(write_only=True)
    cells = _Cells()
    summary: dict[str, dict] = {}
    with snapshot(db) as cur:
        names = tables(cur)
        used = {SUMMARY_SHEET.lower()}
        for t in names:
            s = table_sum(cur, t)
            summary[t] = {"rows": s.rows, "checksum": s.checksum,
                          "sheets": sheet_names(t, max(1, math.ceil(s.rows / per_sheet)), used)}
        info = wb.create_sheet(SUMMARY_SHEET)
        info.append(["数据表", "行数", "工作表", "内容校验值(md5)"])
        for t in names:
            info.append([t, summary[t]["rows"], "、".join(summary[t]["sheets"]), summary[t]["checksum"]])
        info.append([])
        info.append([f"导出时间 {datetime.now():%Y-%m-%d %H:%M:%S};数据库版本 {schema_versions(cur)[-1]}。"
                     "本工作簿供查阅和存档,不能导回;完整导出与导入请用 Parquet 格式。"])
        info.append([f"Excel 每个工作表最多 {max_rows_per_sheet:,} 行(含表头),超出的行续写在“表名~2”等工作表;"
                     f"单元格最多 {EXCEL_MAX_CELL:,} 个字符;以 = + - @ 开头的文本前加了 ' 以防公式注入;"
                     "密码哈希已隐去。"])
        for t in names:
            cols = columns(cur, t)
            masked = [i for i, c in enumerate(cols) if (t, c) in SECRET_COLUMNS]
            result = cur.execute(f"SELECT * FROM {quote(t)} ORDER BY ALL")
            sheets = iter(summary[t]["sheets"])
            ws, left = None, 0
            while batch := result.fetchmany(5000):
                for row in batch:
                    if left == 0:
                        ws, left = wb.create_sheet(next(sheets)), per_sheet
                        ws.append(cols)
                    values = [cells(v) for v in row]
                    for i in masked:
                        if values[i] is not None:
                            values[i] = MASKED
                    ws.append(values)
                    left -= 1
            if ws is None:  # an empty table still gets its sheet with the header
                wb.create_sheet(next(sheets)).append(cols)
        if cells.cut:  # write-only sheets still take rows until the workbook is saved
            info.append([f"有 {cells.cut} 个单元格的文本超过 {EXCEL_MAX_CELL:,} 个字符,已截断(以“…”结尾)。"])
    part = dest.with_name(dest.name + ".part")
    try:
        wb.save(part)
        part.chmod(0o600)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return {"tables": summary, "cut_cells": cells.cut}


# ---- the admin panel's download ------------------------------------------------------------------
DOWNLOAD_FORMATS = {"parquet": ("Parquet(可导入,zip)", ".zip"), "excel": ("Excel(查阅存档)", ".xlsx")}


def download(db, actor, fmt: str) -> tuple[str, bytes]:
    """A full export as (file name, bytes) for an admin to download; the export is audited."""
    if not actor.has("admin"):
        raise PermissionDenied("只有管理员可以导出全部数据")
    if not users.operates(actor, db):
        raise PermissionDenied(users.NOT_OPERATOR)
    if fmt not in DOWNLOAD_FORMATS:
        raise ExportRefused(f"未知的导出格式:{fmt}")
    _duckdb_only(db)
    name = f"hubdesk-export-{datetime.now():%Y%m%d-%H%M%S}{DOWNLOAD_FORMATS[fmt][1]}"
    with tempfile.TemporaryDirectory(prefix=".hubdesk-export-") as tmp:
        path = Path(tmp) / name
        if fmt == "parquet":
            export_parquet(db, path)
        else:
            export_excel(db, path)
        data = path.read_bytes()
    with records.unit(actor, db) as u:
        u.changes.append(audit.Change("database", name, "export", note=f"下载完整导出({DOWNLOAD_FORMATS[fmt][0]})"))
    return name, data


# ---- moving to PostgreSQL ------------------------------------------------------------------------------------
class MoveRefused(HubError):
    pass


def pg_tables(con) -> list[str]:
    """The base tables of PostgreSQL's ``public`` schema, by name (``con``: a psycopg connection or a PgCursor)."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]


def pg_columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?"
        " ORDER BY ordinal_position", [table]).fetchall()]


_MOD = 1 << 128


def _neutral(v: Any) -> Any:
    """One value as both engines give it back (DuckDB's and psycopg's Python values differ in type, not in
    content): numbers as an int when whole, else the float's repr; times in ISO form (with a zone: in UTC);
    bytes as hex; lists element by element."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, (float, Decimal)):
        if isinstance(v, float) and not math.isfinite(v):
            return repr(v)
        if isinstance(v, Decimal) and not v.is_finite():
            return repr(float(v))
        return int(v) if v == int(v) else repr(float(v))
    if isinstance(v, datetime):
        return (v.astimezone(timezone.utc) if v.tzinfo else v).isoformat()
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return repr(v.total_seconds())
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, (list, tuple)) or type(v).__module__ == "numpy":
        return [_neutral(x) for x in list(v)]
    if isinstance(v, dict):
        return {str(k): _neutral(x) for k, x in v.items()}
    return str(v)


_AS_GIVEN = frozenset({str, int, bool, type(None)})  # most values: the same type and value from both engines


def _row_hash(row: tuple) -> int:
    text = repr([v if type(v) in _AS_GIVEN else _neutral(v) for v in row])
    return int.from_bytes(hashlib.md5(text.encode("utf-8", "surrogatepass")).digest(), "big")


def neutral_sum(rows: Iterator[tuple]) -> TableSum:
    """Row count and an order-free checksum (the sum of every row's md5, modulo 2^128) of rows read from either
    engine: the same rows give the same sum on DuckDB and on PostgreSQL (unlike :func:`table_sum`, whose JSON
    is each engine's own)."""
    n, acc = 0, 0
    for row in rows:
        n += 1
        acc = (acc + _row_hash(row)) % _MOD
    return TableSum(n, f"{acc:032x}")


def _batches(cur, size: int) -> Iterator[tuple]:
    while batch := cur.fetchmany(size):
        yield from batch


def engine_sums(db) -> dict[str, TableSum]:
    """Every table's :func:`neutral_sum` of an open Database of either engine, from one snapshot (the same rows
    on both engines give equal sums: what the move and the PostgreSQL restore check)."""
    postgres = getattr(db, "dialect", "duckdb") == "postgres"
    with (_pg_snapshot(db) if postgres else snapshot(db)) as cur:
        names = pg_tables(cur) if postgres else tables(cur)
        out = {}
        for t in names:
            cols = ", ".join(quote(c) for c in (pg_columns(cur, t) if postgres else columns(cur, t)))
            out[t] = neutral_sum(_batches(cur.execute(f"SELECT {cols} FROM {quote(t)}"), 5000))
        return out


@contextmanager
def _pg_snapshot(db) -> Iterator[Any]:
    with db.read() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield cur
        finally:
            cur.execute("ROLLBACK")


@dataclass(frozen=True)
class Moved:
    sums: dict[str, TableSum]  # every table's rows and checksum, equal on both sides
    audit: Any  # core.platform.audit.ChainReport of the moved audit log (checked before the commit)


class _InTransaction:
    """The open transaction as a Database to :func:`core.platform.audit.verify` (it reads through ``read()``)."""

    def __init__(self, cursor, path: Path):
        self._cursor, self.path = cursor, path

    @contextmanager
    def read(self) -> Iterator[Any]:
        yield self._cursor


def _copy_table(src, conn, table: str, cols: list[str], batch: int) -> TableSum:
    """``table`` from the DuckDB cursor ``src`` into PostgreSQL with COPY, in batches; the source rows' sum."""
    import psycopg  # only with a PostgreSQL target

    names = ", ".join(quote(c) for c in cols)
    result = src.execute(f"SELECT {names} FROM {quote(table)}")
    n, acc = 0, 0
    try:
        with conn.cursor() as pcur, pcur.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            while rows := result.fetchmany(batch):
                for row in rows:
                    copy.write_row(row)
                    acc = (acc + _row_hash(row)) % _MOD
                n += len(rows)
    except psycopg.Error as exc:
        raise MoveRefused(f"复制表 {table} 到 PostgreSQL 时出错,已回滚,PostgreSQL 中未写入任何数据:{exc}") from exc
    return TableSum(n, f"{acc:032x}")


def _reset_sequences(tx, wanted: dict[str, int | None]) -> None:
    """Each sequence at the source's position, and past the largest value of every column that draws from it."""
    have = {r["sequence_name"] for r in tx.fetch_all(
        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'")}
    floor: dict[str, int] = {}
    for r in tx.fetch_all("SELECT table_name, column_name, column_default FROM information_schema.columns"
                          " WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'"):
        m = re.search(r"nextval\('(?:public\.)?\"?([A-Za-z_][A-Za-z0-9_]*)\"?'", r["column_default"])
        if m:
            top = tx.execute(f"SELECT max({quote(r['column_name'])}) FROM {quote(r['table_name'])}").fetchone()[0]
            if top is not None:
                floor[m.group(1)] = max(floor.get(m.group(1), 0), int(top))
    for name in sorted(have):
        known = [v for v in (wanted.get(name), floor.get(name)) if v is not None]
        if known and max(known) >= 1:
            tx.execute("SELECT setval(?, ?, true)", [name, int(max(known))])


def _check_move_target(tx, source_tables: dict[str, list[str]], versions: list[int]) -> None:
    have = schema_versions(tx)
    if have != list(versions):
        raise MoveRefused(f"源数据库的版本(迁移 {versions[-1] if versions else '?'})与 PostgreSQL 中按本程序建立的结构"
                          f"(迁移 {have[-1] if have else '?'})不一致:请用与源数据相同版本的 HubDesk 迁移"
                          "(先用本程序启动一次 DuckDB 文件,它会自动升级)。")
    here = set(pg_tables(tx))
    missing = sorted(set(source_tables) - here)
    if missing:
        raise MoveRefused(f"PostgreSQL 中缺少表 {'、'.join(missing)},无法迁移")
    for t, cols in source_tables.items():
        theirs = pg_columns(tx, t)
        if set(theirs) != set(cols):
            raise MoveRefused(f"表 {t} 的列在两边不一致(源:{len(cols)} 列,PostgreSQL:{len(theirs)} 列),无法迁移")
        if t != "schema_version":
            n = tx.execute(f"SELECT count(*) FROM {quote(t)}").fetchone()[0]
            if n:
                raise MoveRefused(f"目标 PostgreSQL 数据库不是空的(表 {t} 已有 {n} 行)。只能迁入新建的空数据库:"
                                  "请先 createdb 一个新库,再用 --to 指向它。")


def move_to_postgres(src, target, *, versions: list[int], sequences: dict[str, int | None],
                     anchor: tuple[int, str] | None = None, batch: int = 5000) -> Moved:
    """Copy every table of the DuckDB cursor ``src`` (one snapshot: :func:`snapshot`, or a connection over an
    export) into the migrated, empty PostgreSQL database ``target`` (a PgDatabase), in one transaction: COPY in
    batches, sequences moved past the copied rows, then every table read back and compared with the source (row
    count and :func:`neutral_sum`), and the audit chain verified (ending at ``anchor``, the source's last row),
    all before the commit: a table that differs is named and nothing is stored."""
    source_tables = {t: columns(src, t) for t in tables(src)}
    with target.transaction() as tx:
        _check_move_target(tx, source_tables, versions)
        tx.execute("DELETE FROM schema_version")  # the source's migration history replaces the fresh one
        sent: dict[str, TableSum] = {}
        for t, cols in source_tables.items():
            sent[t] = _copy_table(src, tx.cursor.conn, t, cols, batch)
            tx.touch(t)
        _reset_sequences(tx, sequences)
        for t, cols in source_tables.items():
            names = ", ".join(quote(c) for c in cols)
            got = neutral_sum(_batches(tx.execute(f"SELECT {names} FROM {quote(t)}"), batch))
            if got != sent[t]:
                what = f"行数 {sent[t].rows}/{got.rows}" if got.rows != sent[t].rows else "行数相同但内容校验值不同"
                raise MoveRefused(f"表 {t} 迁移后与源数据不符({what}),已回滚,PostgreSQL 中未写入任何数据。")
        report = audit.verify(_InTransaction(tx.cursor, target.path),
                              [(anchor[0], anchor[1], "迁移前的数据库 ")] if anchor else [],
                              head=target.path.with_name(target.path.name + ".move-check"))
        if not report.ok:
            raise MoveRefused("迁移后的审计日志校验未通过,已回滚,PostgreSQL 中未写入任何数据:" + ";".join(report.lines()))
    try:  # the planner's statistics of the copied rows (bench/RESULTS-pg-100x.md: the dashboards 10.2x -> 8.0x DuckDB's)
        with target.read() as cur:
            cur.execute("ANALYZE")
    except duckdb.Error:  # moved and checked all the same: autovacuum gathers the statistics later
        pass
    return Moved(sent, report)


def move_database(source, target, *, batch: int = 5000) -> Moved:
    """:func:`move_to_postgres` from an open DuckDB Database ``source`` (one snapshot of it)."""
    with snapshot(source) as cur:
        return move_to_postgres(cur, target, versions=schema_versions(cur), sequences=sequences(cur),
                                anchor=audit.last_row(cur), batch=batch)


def move_export(src: Path | str, target, *, batch: int = 5000) -> Moved:
    """:func:`move_to_postgres` from a Parquet export (a folder or a .zip), first checked against its manifest's
    row counts and checksums (ImportRefused otherwise): its tables are loaded into an in-memory DuckDB."""
    src = Path(src)
    if not src.exists():
        raise ImportRefused(f"找不到导出 {src}")
    with _export_folder(src) as folder:
        manifest = read_manifest(folder)
        con = duckdb.connect()
        try:
            for t, e in manifest["tables"].items():
                cols = ", ".join(quote(c) for c in e["columns"])
                con.execute(f"CREATE TABLE {quote(t)} AS SELECT {cols} FROM read_parquet(?)", [str(folder / e["file"])])
                got = table_sum(con, t)
                if got.rows != e["rows"] or got.checksum != e["checksum"]:
                    raise ImportRefused(f"导出中的表 {t} 与导出清单不符(行数 {got.rows}/{e['rows']}),导出可能已损坏;"
                                        "未迁移任何数据。")
            return move_to_postgres(con, target, versions=list(manifest["schema_versions"]),
                                    sequences=manifest.get("sequences") or {}, anchor=audit.last_row(con), batch=batch)
        finally:
            con.close()
