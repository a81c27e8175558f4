"""AppTest: 枢纽网络 (pages/hubs.py) and the hub-scoped 社会组织台账 — the city's admin sees the tree 市 → 区 → 街道 with
each hub's organisations and accounts and adds a street hub under 钱塘区 (a street under the city itself is refused in
Chinese and writes nothing); the 下沙 centre's admin reads only their own hub, without forms; staff are refused; staff
of 白杨街道 see only 白杨's organisations (list, detail by URL, choice list), staff of 下沙 only 下沙's."""
from __future__ import annotations

import pytest

from tests.apptest_helpers import count, db, errors, open_page, plain_texts, signed_in, successes

URL = "hub-network"
PICKER_URL = "volunteer-register"  # its 登记志愿者 form picks the volunteer's 服务组织 (source "orgs")
NEW = "hub_new"
QIANTANG, XIASHA, BAIYANG = "钱塘区社会组织服务中心", "下沙街道社会组织发展服务中心", "白杨街道社会组织服务中心"


def _open(user: str, roles: list[str], url: str = URL, **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _hub_id(name: str) -> int:
    return int(db().scalar("SELECT id FROM hubs WHERE name = ?", [name]))


def _tree(at) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def test_the_top_admin_sees_the_tree_with_counts_and_adds_a_street_under_a_district(demo_db):
    at = _open("hz_admin", ["admin"])
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["枢纽网络"]
    rows = _tree(at)
    assert list(at.dataframe[0].value.columns) == ["编号", "枢纽", "层级", "上级枢纽", "行政区划代码", "社会组织数", "账号数",
                                                   "地址", "联系人及电话"]
    assert rows[0]["层级"] == "市" and rows[0]["枢纽"] == "杭州市社会组织服务中心"
    by_name = {r["枢纽"].strip().lstrip("└ "): r for r in rows}
    assert by_name[XIASHA]["上级枢纽"] == QIANTANG and by_name[XIASHA]["社会组织数"] == 55
    assert by_name[XIASHA]["枢纽"].startswith("\u3000") and by_name[BAIYANG]["社会组织数"] == 4
    assert by_name[BAIYANG]["账号数"] == 1 and by_name[XIASHA]["账号数"] >= 4
    names = [r["枢纽"].strip().lstrip("└ ") for r in rows]
    at_district, at_street = names.index(QIANTANG), names.index(XIASHA)
    assert at_district < at_street and {r["层级"] for r in rows[at_district + 1:at_street + 1]} == {"街道"}  # under it
    assert [t.label for t in at.tabs] == ["新建枢纽", "修改枢纽", "账号所属枢纽"]

    # a street directly under the city: refused in Chinese, the input kept, nothing written
    before = count("hubs"), count("audit_log", "WHERE table_name = 'hubs'")
    at.text_input(key=f"{NEW}::name").input("义蓬街道社会组织服务中心")
    at.selectbox(key=f"{NEW}::level").set_value("街道")
    at.selectbox(key=f"{NEW}::parent_id").set_value(_hub_id("杭州市社会组织服务中心"))
    at = at.button(key=f"FormSubmitter:{NEW}-新建枢纽").click().run()
    assert "街道级枢纽的上级应是区级枢纽" in plain_texts(at)
    assert at.text_input(key=f"{NEW}::name").value == "义蓬街道社会组织服务中心"
    assert (count("hubs"), count("audit_log", "WHERE table_name = 'hubs'")) == before

    at.selectbox(key=f"{NEW}::parent_id").set_value(_hub_id(QIANTANG))
    at.text_input(key=f"{NEW}::region_code").input("330114")
    at = at.button(key=f"FormSubmitter:{NEW}-新建枢纽").click().run()
    assert not at.exception, at.exception
    stored = db().fetch_one("SELECT * FROM hubs WHERE name = '义蓬街道社会组织服务中心'")
    assert stored["level"] == "街道" and stored["parent_id"] == _hub_id(QIANTANG) and stored["created_by"] == "hz_admin"
    assert stored["region_code"] == "330114"
    assert f"已新建枢纽:义蓬街道社会组织服务中心(编号 {stored['id']})" in successes(at)
    at = _open("hz_admin", ["admin"])  # a fresh page: the new hub sits under 钱塘区
    rows = {r["枢纽"].strip().lstrip("└ "): r for r in _tree(at)}
    assert rows["义蓬街道社会组织服务中心"]["上级枢纽"] == QIANTANG and rows["义蓬街道社会组织服务中心"]["社会组织数"] == 0


def test_the_centres_own_admin_reads_their_hub_without_forms_and_staff_are_refused(demo_db):
    before = count("hubs")
    at = _open("admin", ["admin"])
    assert not at.exception, at.exception
    assert [r["枢纽"] for r in _tree(at)] == [XIASHA]
    assert "只有最上级枢纽" in plain_texts(at)
    assert not at.tabs and not [b for b in at.button if str(b.key).startswith("FormSubmitter:")]
    at = _open("staff", ["staff"])
    assert [t.value for t in at.title] == ["无权访问"]
    assert count("hubs") == before


@pytest.mark.parametrize("user, own, other", [("by_staff", BAIYANG, XIASHA), ("staff", XIASHA, BAIYANG)])
def test_street_staff_see_only_their_own_hubs_organisations(demo_db, user, own, other):
    mine = db().fetch_all("SELECT id, name FROM organisations WHERE hub_id = ? ORDER BY id", [_hub_id(own)])
    theirs = db().fetch_all("SELECT id, name FROM organisations WHERE hub_id = ? ORDER BY id", [_hub_id(other)])
    at = _open(user, ["staff"], url="orgs")
    assert not at.exception, at.exception
    shown = set(at.dataframe[0].value["组织名称"])
    assert shown == {r["name"] for r in mine[:50]} and not shown & {r["name"] for r in theirs}
    assert any(str(c.value).startswith(f"共 {len(mine)} 条") for c in at.caption)
    # another hub's record by URL: not found, nothing of it shown
    at = _open(user, ["staff"], url="orgs", id=str(theirs[0]["id"]))
    assert "该组织不存在。" in plain_texts(at) and theirs[0]["name"] not in plain_texts(at)
    at = _open(user, ["staff"], url="orgs", id=str(mine[0]["id"]))
    assert mine[0]["name"] in [s.value for s in at.subheader]
    assert not errors(at)


def test_the_organisation_picker_offers_only_the_own_hubs_organisations(demo_db):
    names = {r["name"] for r in db().fetch_all("SELECT name FROM organisations WHERE hub_id = ? AND active",
                                               [_hub_id(BAIYANG)])}
    at = _open("by_staff", ["staff"], url=PICKER_URL)
    assert not at.exception, at.exception
    pickers = [s for s in at.selectbox if str(s.key).endswith("::org_id")]
    assert pickers
    for picker in pickers:
        assert set(picker.options) and set(picker.options) <= names, picker.key
