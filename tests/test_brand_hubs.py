"""品牌 by hub (issue 20, migration 032): a brand is its hub's own; its service points are its hub's; readers keep
their hubs (a district reads its streets'), the choice list offers the user's hubs' brands, nobody writes another
hub's brand or adds a point to it."""
from __future__ import annotations

import pytest

from core.monitoring import brands
from core.platform.errors import PermissionDenied, ValidationFailed
from schemas import choices
from tests.test_hub_isolation import net, screen_of  # noqa: F401  (net: fixture)


def test_a_brand_is_its_hubs_and_read_by_that_hub_and_those_above(net):
    brands.install_providers()
    db = net["db"]
    a = brands.create({"name": "甲街道邻里帮", "tier": choices.BRAND_TIERS[0]}, net["staff_a"])
    b = brands.create({"name": "乙街道银龄汇", "tier": choices.BRAND_TIERS[1]}, net["staff_b"])
    assert {r["id"]: r["hub_id"] for r in db.fetch_all("SELECT id, hub_id FROM brands")} == {a: net["a"], b: net["b"]}
    brands.add_point({"brand_id": a, "community": "文海社区", "name": "甲街道邻里帮文海点"}, net["staff_a"])
    for who, seen in (("staff_a", {a}), ("staff_b", {b}), ("qt_staff", {a, b})):
        with screen_of(net[who]):
            assert set(brands.overview(db)["id"]) == seen, who
            assert set(choices.get("brands")) == seen, who
            assert len(brands.points(a, db)) == (1 if a in seen else 0), who
    with pytest.raises(PermissionDenied):  # 乙's staff change 甲's brand
        brands.update(a, {"description": "改写"}, net["staff_b"])
    with pytest.raises((PermissionDenied, ValidationFailed)):  # nor add a point to it
        brands.add_point({"brand_id": a, "community": "文海社区", "name": "乙街道的点"}, net["staff_b"])
    with pytest.raises(PermissionDenied):  # the district reads, writes nothing of its streets'
        brands.update(b, {"description": "区里改写"}, net["qt_staff"])
    assert db.scalar("SELECT count(*) FROM service_points") == 1
    assert db.scalar("SELECT count(*) FROM brands WHERE description IS NOT NULL") == 0


def test_a_hub_without_brands_is_told_how_to_start_one(demo_db):
    from tests.apptest_helpers import open_page, signed_in

    at = open_page(signed_in("by_staff", ["staff"]).run(), "brand-matrix")  # 白杨: no brand of its own
    assert not at.exception
    assert any("本枢纽还没有品牌" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "品牌名称" in d.value.columns]  # no empty grid (Streamlit says "empty")
    xs = open_page(signed_in("staff", ["staff"]).run(), "brand-matrix")  # 下沙's brands, listed
    assert any("品牌名称" in d.value.columns and len(d.value) > 0 for d in xs.dataframe)
