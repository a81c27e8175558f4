from tests.apptest_helpers import open_page, registered_urls, signed_in, texts

STAFF_PAGES = {"", "orgs", "orgs-new", "orgs-import", "idea-pool", "apply", "application-list", "application",
               "screening-queue", "decision-notice", "expert-panel", "review-assignment", "review-summary",
               "mentor-sessions", "trainings", "capability-assessments", "incubation-ratings", "org-support",
               "my-password"}
# the dashboards (issue 7) are checked in tests/test_app_dashboards.py
DASHBOARD_PAGES = {"dashboard-overview", "dashboard-charts", "dashboard-meeting"}
MONITORING_PAGES = {"funded-projects", "project-file", "risk-warnings", "activity-ledger", "brand-matrix"}


def test_staff_sees_registry_and_round_pages_but_not_admin_ones(demo_db):
    at = signed_in("staff", ["staff"]).run()
    assert not at.exception
    assert registered_urls(at) - DASHBOARD_PAGES == STAFF_PAGES | MONITORING_PAGES
    open_page(at, "orgs")
    assert "社会组织台账" in texts(at)
    assert len(at.dataframe) == 1


def test_every_page_of_the_admin_renders_without_exception(demo_db):
    at = signed_in("admin", ["admin"]).run()
    urls = registered_urls(at)
    assert urls - DASHBOARD_PAGES == STAFF_PAGES | MONITORING_PAGES | {"round-admin", "accounts", "audit-log", "monitoring-rules"}
    for url in sorted(urls):
        open_page(at, url)
        assert not at.exception, (url, at.exception)
        assert at.title, url


def test_reviewer_and_leader_see_only_their_pages(demo_db):
    assert registered_urls(signed_in("expert", ["reviewer"]).run()) == {"", "my-reviews", "my-password"}
    assert registered_urls(signed_in("leader", ["leader"]).run()) == {"", "my-password"} | DASHBOARD_PAGES


def test_the_first_run_imports_every_screen_and_freezes_the_heap(demo_db):
    """After the first run the process's long-lived objects are out of the garbage collector's view, so the
    full collection Streamlit makes after every run walks only what runs created (``core.app.freeze_heap``)."""
    import gc
    import sys

    from core import app
    from core.navigation import PAGES

    at = signed_in("staff", ["staff"]).run()
    assert not at.exception
    assert app.heap_frozen()
    assert gc.get_freeze_count() > 10_000
    assert all(spec.target.partition(":")[0] in sys.modules for spec in PAGES)
