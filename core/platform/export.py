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
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.platform import audit, records
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
    if fmt not in DOWNLOAD_FORMATS:
        raise ExportRefused(f"未知的导出格式:{fmt}")
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
