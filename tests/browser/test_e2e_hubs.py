"""枢纽网络 and the hub-scoped 社会组织台账 in a real browser (the demo network, core/demo/hubs.py): the city's admin
adds a street hub under 钱塘区 and, after F5, finds it in the tree under its district; staff of 白杨街道 open
社会组织台账 and see 白杨's organisations and none of 下沙's, while 下沙's staff see 下沙's and none of 白杨's."""
from __future__ import annotations

import pytest

from tests import demo_cache
from tests.browser.conftest import goto, login, main_text, new_context, screenshot, settle, start_server, wait_for_app
from tests.browser.widgets import box, choose, fill, grid_rows, open_select

NEW_HUB = "义蓬街道社会组织服务中心"
QIANTANG = "钱塘区社会组织服务中心"


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    base, stop = start_server(tmp_path_factory.mktemp("hubdesk"), "hubs")
    try:
        yield base
    finally:
        stop()


def _names(hub: str) -> list[str]:
    return [r[0] for r in demo_cache.query_all(
        "SELECT o.name FROM organisations o JOIN hubs h ON h.id = o.hub_id WHERE h.name = ? ORDER BY o.id", [hub])]


def _tree(page) -> list[dict[str, str]]:
    return grid_rows(page.locator("[data-testid='stDataFrame']").first)


def test_the_top_admin_adds_a_street_hub_under_a_district_and_it_stays_after_f5(server, page):
    login(page, server, "hz_admin", "Demo-admin-2026")
    goto(page, server + "/hub-network")
    assert page.get_by_role("heading", name="枢纽网络").count()
    rows = _tree(page)
    assert rows[0]["层级"] == "市" and any(r["枢纽"].endswith("下沙街道社会组织发展服务中心") and r["上级枢纽"] == QIANTANG
                                           for r in rows)
    screenshot(page, "hubs-tree")

    fill(page, "hub_new::name", NEW_HUB)
    choose(page, "hub_new::level", "街道")
    choose(page, "hub_new::parent_id", QIANTANG)
    fill(page, "hub_new::region_code", "330114")
    page.get_by_role("button", name="新建枢纽", exact=True).click()
    wait_for_app(page)
    settle(page)
    assert f"已新建枢纽:{NEW_HUB}" in main_text(page), main_text(page)
    screenshot(page, "hubs-added")

    page.reload(wait_until="domcontentloaded")  # F5
    settle(page)
    rows = _tree(page)
    added = [r for r in rows if r["枢纽"].endswith(NEW_HUB)]
    assert len(added) == 1 and added[0]["上级枢纽"] == QIANTANG and added[0]["层级"] == "街道"
    names = [r["枢纽"].strip().lstrip("└ ").strip() for r in rows]
    districts = [n for n, r in zip(names, rows) if r["层级"] == "区"]
    after = districts[districts.index(QIANTANG) + 1] if districts.index(QIANTANG) + 1 < len(districts) else None
    assert names.index(QIANTANG) < names.index(NEW_HUB) < (names.index(after) if after else len(names))
    screenshot(page, "hubs-after-f5")


@pytest.mark.parametrize("user, password, own, other", [
    ("by_staff", "Demo-staff-2026", "白杨街道社会组织服务中心", "下沙街道社会组织发展服务中心"),
    ("staff", None, "下沙街道社会组织发展服务中心", "白杨街道社会组织服务中心"),
])
def test_street_staff_see_only_their_own_register(server, browser, user, password, own, other):
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, user, password)
        goto(page, server + "/orgs")
        assert page.get_by_role("heading", name="社会组织台账").count()
        mine, theirs = _names(own), _names(other)
        shown = [r["组织名称"] for r in grid_rows(page.locator("[data-testid='stDataFrame']").first)]
        assert shown and set(shown) <= set(mine)
        assert not set(shown) & set(theirs)
        assert shown[0] == mine[0]  # the list is by number: the hub's first organisation first
        assert f"共 {len(mine)} 条" in main_text(page)
        text = main_text(page)
        assert not [n for n in theirs if n in text]
        screenshot(page, f"hubs-register-{user}")
    finally:
        ctx.close()


def test_baiyang_staff_see_only_baiyangs_venues_and_a_xiasha_venue_opened_by_url_reads_as_missing(server, browser):
    mine = [r[0] for r in demo_cache.query_all(
        "SELECT v.name FROM venues v JOIN hubs h ON h.id = v.hub_id WHERE h.name = ? ORDER BY v.id", ["白杨街道社会组织服务中心"])]
    xs_id, xs_name = demo_cache.query_one("SELECT id, name FROM venues WHERE hub_id = 1 ORDER BY id LIMIT 1")
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, "by_staff", "Demo-staff-2026")
        goto(page, server + "/venues")
        shown = [r["场地名称"] for r in grid_rows(page.locator("[data-testid='stDataFrame']").first)]
        assert sorted(shown) == sorted(mine) and len(mine) == 2
        assert f"共 {len(mine)} 条" in main_text(page)
        screenshot(page, "hubs-venues-by_staff")
        goto(page, server + f"/venues?id={xs_id}")  # 下沙's venue by its id: as a missing one
        text = main_text(page)
        assert f"场地(编号 {xs_id})不存在" in text and xs_name not in text, text
        screenshot(page, "hubs-venue-of-xiasha-by_staff")
    finally:
        ctx.close()


def test_baiyang_staff_are_offered_only_baiyangs_communities_and_no_street_training_of_xiasha(server, browser):
    own = [r[0] for r in demo_cache.query_all(
        "SELECT c.name FROM communities c JOIN hubs h ON h.id = c.hub_id WHERE h.name = ? ORDER BY c.sort_order",
        ["白杨街道社会组织服务中心"])]
    district = demo_cache.query_one(
        "SELECT t.title FROM trainings t JOIN hubs h ON h.id = t.hub_id WHERE h.level = '区'")[0]
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, "by_staff", "Demo-staff-2026")
        goto(page, server + "/orgs-new")  # 登记新组织: the 所属社区 list
        open_select(page, box(page, "org_new::community").locator("[data-testid='stSelectbox']"))
        offered = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
        screenshot(page, "hubs-communities-by_staff")
        page.keyboard.press("Escape")
        assert offered == own and len(own) == 3 and "文海社区" not in offered, offered
        goto(page, server + "/trainings")  # 能力培训: 钱塘区's training, none of 下沙's street trainings
        shown = [r["培训名称"] for r in grid_rows(page.locator("[data-testid='stDataFrame']").first)]
        assert shown == [district], shown
        assert "共 1 条" in main_text(page)
        screenshot(page, "hubs-trainings-by_staff")
    finally:
        ctx.close()


def test_baiyang_staff_see_the_districts_experts_and_partners_read_only(server, browser):
    """The shared registries (core.review.reviewers, core.resources.partners): 钱塘区's experts are in 白杨's pool and
    its partners in 白杨's list, read-only there; none of 下沙's own experts or partners."""
    experts = {r[0]: r[1] for r in demo_cache.query_all(
        "SELECT u.name, h.name FROM users u JOIN hubs h ON h.id = u.hub_id WHERE list_contains(u.roles, 'reviewer')"
        " AND h.name = ?", [QIANTANG])}
    partners = sorted(r[0] for r in demo_cache.query_all(
        "SELECT p.name FROM partners p JOIN hubs h ON h.id = p.hub_id WHERE h.name = ?", [QIANTANG]))
    assert len(experts) == 2 and len(partners) == 2
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, "by_staff", "Demo-staff-2026")
        goto(page, server + "/expert-panel")
        rows = grid_rows(page.locator("[data-testid='stDataFrame']").first)
        assert {r["姓名"]: r["所属枢纽"] for r in rows} == experts, rows
        assert "共 2 条" in main_text(page)
        screenshot(page, "hubs-experts-by_staff")
        choose(page, "expert", "(expert21)")  # a district expert: read-only for 白杨
        wait_for_app(page)
        settle(page)
        text = main_text(page)
        assert f"属于「{QIANTANG}」的专家库(本枢纽共用,只读)" in text and "保存档案" not in text, text
        screenshot(page, "hubs-expert-readonly-by_staff")
        goto(page, server + "/partners")
        shown = sorted(r["伙伴名称"] for r in grid_rows(page.locator("[data-testid='stDataFrame']").first))
        assert shown == partners, shown
        screenshot(page, "hubs-partners-by_staff")
    finally:
        ctx.close()
