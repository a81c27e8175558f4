"""Full export and import: Parquet (a folder or a .zip) imported into an empty database gives every table
back with the same row count and content checksum, and the ids go on where they stopped; an import that
does not fit (not empty, another schema version, a damaged or foreign export) is refused and stores
nothing; the Excel export respects Excel's limits and shows data as text, never as formulas."""
from __future__ import annotations

import json
import re
import threading
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core import manage
from core.platform import audit, db as core_db, export
from core.platform.errors import PermissionDenied
from tests.test_rounds import ADMIN, STAFF, hub, make_org  # noqa: F401  (hub: fixture)


def _fresh(path: Path):
    """A new, migrated, empty database (as `import-parquet` makes one)."""
    return core_db.get_db(path)


def _assert_same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    diff = {t: (a[t], b[t]) for t in a if a[t] != b[t]}
    assert not diff


@pytest.mark.parametrize("dest_name", ["export-folder", "export.zip"])
def test_parquet_round_trip_gives_every_table_back(demo_db, isolated, dest_name):
    source = export.database_sums(demo_db)
    manifest = export.export_parquet(demo_db, isolated / dest_name)
    assert set(manifest["tables"]) == set(source) and len(source) >= 45
    assert {t: (e["rows"], e["checksum"]) for t, e in manifest["tables"].items()} == \
        {t: (s.rows, s.checksum) for t, s in source.items()}
    if dest_name.endswith(".zip"):
        with zipfile.ZipFile(isolated / dest_name) as zf:
            assert set(zf.namelist()) == {export.MANIFEST} | {f"{t}.parquet" for t in source}
    else:
        assert {p.name for p in (isolated / dest_name).iterdir()} == {export.MANIFEST} | {f"{t}.parquet" for t in source}
    assert not [p for p in isolated.iterdir() if p.name.startswith(".")]  # no work folder left behind

    target = _fresh(isolated / "imported.duckdb")
    counts = export.import_parquet(target, isolated / dest_name)
    assert counts == {t: s.rows for t, s in source.items()}
    _assert_same(export.database_sums(target), source)  # every table: same rows, same content
    assert export.sequences(target._con) == export.sequences(demo_db._con)
    assert audit.verify(target).ok



def test_imported_database_goes_on_with_new_ids(hub, isolated, monkeypatch):
    for k in range(1, 4):
        make_org(k)
    export.export_parquet(hub, isolated / "e.zip")
    core_db.close_all()
    monkeypatch.setenv("HUBDESK_DB", str(isolated / "second.duckdb"))
    target = _fresh(isolated / "second.duckdb")
    export.import_parquet(target, isolated / "e.zip")
    from core.orgs import communities

    communities.install_provider()
    new_id = make_org(4)
    assert new_id == 4  # the sequence went on after the imported ids
    assert target.scalar("SELECT count(*) FROM organisations") == 4
    assert audit.verify(target).ok  # the chain continues across the import


def test_export_reads_one_snapshot_while_the_app_writes(hub, isolated):
    stop, writing, errors = threading.Event(), threading.Event(), []

    def writer() -> None:
        n = 1
        while not stop.is_set():
            try:
                make_org(n)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                writing.set()
                return
            writing.set()  # the first organisation is stored: the export starts while more are written
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert writing.wait(timeout=60)
        manifest = export.export_parquet(hub, isolated / "live.zip")
    finally:
        stop.set()
        t.join()
    assert not errors
    rows = manifest["tables"]
    creates = rows["organisations"]["rows"]
    assert creates > 0
    target = _fresh(isolated / "imported.duckdb")
    export.import_parquet(target, isolated / "live.zip")  # checksums matched the snapshot
    assert target.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'organisations' AND action = 'create'") == creates
    assert audit.verify(target).ok


# ---- refused imports store nothing --------------------------------------------------------------

@pytest.fixture
def small_export(hub, isolated):
    for k in range(1, 4):
        make_org(k)
    folder = isolated / "exp"
    export.export_parquet(hub, folder)
    return hub, folder


def _empty_state(db) -> dict:
    return {t: s for t, s in export.database_sums(db).items() if t != "schema_version"}


def test_import_into_a_database_with_data_is_refused(small_export):
    db, folder = small_export
    before = export.database_sums(db)
    with pytest.raises(export.ImportRefused, match="目标数据库不是空的"):
        export.import_parquet(db, folder)
    assert export.database_sums(db) == before


def test_import_of_another_schema_version_is_refused(small_export, isolated):
    _, folder = small_export
    m = json.loads((folder / export.MANIFEST).read_text())
    m["schema_versions"] = m["schema_versions"][:-1]
    (folder / export.MANIFEST).write_text(json.dumps(m))
    target = _fresh(isolated / "t.duckdb")
    before = _empty_state(target)
    with pytest.raises(export.ImportRefused, match="请用与导出时相同版本的 HubDesk 导入"):
        export.import_parquet(target, folder)
    assert _empty_state(target) == before and all(s.rows == 0 for s in before.values())


def test_a_damaged_export_stores_nothing(small_export, isolated):
    _, folder = small_export
    # one table's file replaced by a stale one with fewer rows: the checksum check catches it
    org_file = folder / "organisations.parquet"
    stale = core_db.get_db(isolated / "stale.duckdb")
    stale_dir = isolated / "stale-export"
    export.export_parquet(stale, stale_dir)
    org_file.write_bytes((stale_dir / "organisations.parquet").read_bytes())
    target = _fresh(isolated / "t.duckdb")
    before = export.database_sums(target)
    with pytest.raises(export.ImportRefused, match="表 organisations 导入后与导出清单不符"):
        export.import_parquet(target, folder)
    assert export.database_sums(target) == before  # rolled back: every table as it was


NOT_AN_EXPORT = {
    "missing": "找不到导出",
    "no-manifest": "无法读取 manifest.json",
    "bad-zip": "不是 HubDesk 导出(应为导出的文件夹或 .zip)",
    "foreign-manifest": "manifest.json 的格式不对",
    "missing-file": "导出不完整:缺少文件 users.parquet",
    "path-in-manifest": "中的表 'users' 无效",
    "incomplete-manifest": "中的表 'users' 无效",
}


@pytest.mark.parametrize("kind", list(NOT_AN_EXPORT))
def test_something_else_is_not_imported(isolated, hub, kind):
    src = isolated / "src"
    src.mkdir()
    entry = {"file": "users.parquet", "rows": 1, "checksum": "0" * 32, "columns": ["username"]}
    manifest = {"format": export.FORMAT, "format_version": 1, "schema_versions": [1], "tables": {"users": entry}}
    if kind == "missing":
        src = isolated / "nowhere.zip"
    elif kind == "bad-zip":
        src = isolated / "x.zip"
        src.write_bytes(b"not a zip at all")
    elif kind == "foreign-manifest":
        (src / export.MANIFEST).write_text(json.dumps({"format": "something-else"}))
    elif kind == "missing-file":
        (src / export.MANIFEST).write_text(json.dumps(manifest))
    elif kind == "path-in-manifest":
        (src / export.MANIFEST).write_text(json.dumps(dict(manifest, tables={"users": dict(entry, file="../../etc/passwd")})))
    elif kind == "incomplete-manifest":
        (src / "users.parquet").write_bytes(b"PAR1")
        (src / export.MANIFEST).write_text(json.dumps(dict(manifest, tables={"users": {"file": "users.parquet"}})))
    target = _fresh(isolated / "t.duckdb")
    before = export.database_sums(target)
    with pytest.raises(export.ImportRefused, match=re.escape(NOT_AN_EXPORT[kind])):
        export.import_parquet(target, src)
    assert export.database_sums(target) == before


def test_an_export_never_overwrites(hub, isolated):
    (isolated / "taken").mkdir()
    (isolated / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(export.ExportRefused, match="已存在且不为空"):
        export.export_parquet(hub, isolated / "taken")
    assert (isolated / "taken" / "keep.txt").read_text() == "mine"
    (isolated / "e.xlsx").write_bytes(b"old")
    with pytest.raises(export.ExportRefused):
        export.export_excel(hub, isolated / "e.xlsx")
    assert (isolated / "e.xlsx").read_bytes() == b"old"
    with pytest.raises(export.ExportRefused, match=r"\.xlsx"):
        export.export_excel(hub, isolated / "e.csv")


# ---- Excel ------------------------------------------------------------------------------------------

def _sheet_rows(wb, name: str) -> list[tuple]:
    return list(wb[name].iter_rows(values_only=True))


def test_excel_export_one_sheet_per_table_within_excel_limits(hub, isolated):
    from core.orgs import organisations
    from core.platform import users

    make_org(1, name="=HYPERLINK(\"http://evil\",\"点我\")")
    odd = make_org(2)
    users.create({"username": "wang", "name": "王敏", "roles": ["staff"], "active": True}, ADMIN, db=hub)
    oid = make_org(3)
    organisations.update(oid, {"contact_person": "联系人"}, STAFF)
    long_note = "长" * (export.EXCEL_MAX_CELL + 10)
    with hub.transaction() as tx:  # legacy text no form accepts: control characters, longer than a cell
        tx.execute("UPDATE organisations SET name = ? WHERE id = ?", ["下沙\x07街道\x1b测试组织", odd])
        tx.execute("UPDATE organisations SET name = ? WHERE id = ?", [long_note, oid])
    audit_rows = hub.scalar("SELECT count(*) FROM audit_log")
    assert audit_rows >= 5

    summary = export.export_excel(hub, isolated / "all.xlsx", max_rows_per_sheet=3)  # 2 data rows per sheet
    wb = load_workbook(isolated / "all.xlsx", read_only=True)
    sums = export.database_sums(hub)
    assert set(summary["tables"]) == set(sums)
    for t, info in summary["tables"].items():
        assert info["rows"] == sums[t].rows and info["checksum"] == sums[t].checksum
        rows = [r for name in info["sheets"] for r in _sheet_rows(wb, name)[1:]]
        assert len(rows) == sums[t].rows, t  # continuation sheets hold the rest
        assert all(len(_sheet_rows(wb, name)) <= 3 for name in info["sheets"])
        assert all(len(name) <= export.EXCEL_MAX_SHEET_NAME for name in info["sheets"])
    assert summary["tables"]["audit_log"]["sheets"][:2] == ["audit_log", "audit_log~2"]
    assert len(wb.sheetnames) == len(set(n.lower() for n in wb.sheetnames))
    assert wb.sheetnames[0] == export.SUMMARY_SHEET

    orgs = [r for name in summary["tables"]["organisations"]["sheets"] for r in _sheet_rows(wb, name)]
    header = orgs[0]
    names = {r[header.index("name")] for r in orgs[1:]}
    assert "'=HYPERLINK(\"http://evil\",\"点我\")" in names  # text, not a formula
    assert "下沙街道测试组织" in names  # characters XML cannot hold are dropped
    cut = [n for n in names if n.startswith("长")]
    assert len(cut) == 1 and len(cut[0]) == export.EXCEL_MAX_CELL and cut[0].endswith("…")
    assert summary["cut_cells"] >= 1
    user_rows = [r for name in summary["tables"]["users"]["sheets"] for r in _sheet_rows(wb, name)]
    hashes = {r[user_rows[0].index("password_hash")] for r in user_rows[1:]}
    assert hashes == {export.MASKED}
    info = _sheet_rows(wb, export.SUMMARY_SHEET)
    assert info[0] == ("数据表", "行数", "工作表", "内容校验值(md5)")
    assert any(r and r[0] and "截断" in str(r[0]) for r in info)
    wb.close()


def test_sheet_names_are_short_unique_and_valid():
    used: set[str] = set()
    long = "a_table_with_a_name_far_longer_than_excel_allows"
    first = export.sheet_names(long, 3, used)
    assert first[0] == long[:31] and first[1].endswith("~2") and first[2].endswith("~3")
    again = export.sheet_names(long.upper(), 1, used)  # Excel compares sheet names without case
    assert again[0].lower() not in {n.lower() for n in first} and len(again[0]) <= 31
    assert export.sheet_names("a/b:c", 1, set()) == ["a_b_c"]
    assert all(len(n) <= 31 for n in first + again)


# ---- the command and the admin download ------------------------------------------------------------

def test_export_and_import_commands(hub, isolated, monkeypatch, capsys):
    make_org(1)
    make_org(2)
    source = export.database_sums(hub)
    core_db.close_all()
    assert manage.main(["export", "--format", "parquet", str(isolated / "e.zip")]) == 0
    assert "已导出" in capsys.readouterr().out
    assert manage.main(["export", "--format", "excel", str(isolated / "e.xlsx")]) == 0
    assert load_workbook(isolated / "e.xlsx", read_only=True).sheetnames[0] == export.SUMMARY_SHEET

    assert manage.main(["import-parquet", str(isolated / "e.zip")]) == 2  # HUBDESK_DB still has the data
    assert "目标数据库不是空的" in capsys.readouterr().err

    monkeypatch.setenv("HUBDESK_DB", str(isolated / "new.duckdb"))
    assert manage.main(["import-parquet", str(isolated / "nowhere.zip")]) == 2
    assert not (isolated / "new.duckdb").exists()  # a failed import leaves no empty database behind
    core_db.close_all()
    assert manage.main(["import-parquet", str(isolated / "e.zip")]) == 0
    assert "已导入" in capsys.readouterr().out
    _assert_same(export.database_sums(core_db.get_db(isolated / "new.duckdb")), source)


def test_the_download_is_for_admins_and_audited(hub):
    with pytest.raises(PermissionDenied):
        export.download(hub, STAFF, "excel")
    name, data = export.download(hub, ADMIN, "excel")
    assert name.endswith(".xlsx") and data[:2] == b"PK"
    row = hub.fetch_one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (row["actor"], row["table_name"], row["row_key"], row["action"]) == (ADMIN.username, "database", name, "export")
    with pytest.raises(export.ExportRefused):
        export.download(hub, ADMIN, "csv")
