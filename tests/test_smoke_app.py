from tests.apptest_helpers import open_page, registered_urls, signed_in, texts


def test_staff_sees_registry_pages(demo_db):
    at = signed_in("staff", ["staff"]).run()
    assert not at.exception
    assert registered_urls(at) == {"", "orgs", "orgs-new", "orgs-import", "my-password"}
    open_page(at, "orgs")
    assert "社会组织台账" in texts(at)
    assert len(at.dataframe) == 1
