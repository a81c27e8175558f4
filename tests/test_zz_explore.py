import time
from tests.apptest_helpers import open_page, signed_in, texts

def test_x(demo_db):
    from core.db import get_db
    db = get_db()
    print(db.fetch_all("SELECT year, blind_review, half_points FROM rounds ORDER BY year"))
    at = open_page(signed_in("expert", ["reviewer"]).run(), "my-reviews")
    try:
        at.selectbox(key="myrev:chosen").set_value(902).run()
        print("set_value ok", at.exception, texts(at)[-300:])
    except Exception as e:
        print("set_value raised", type(e), e)
    at = open_page(signed_in("expert", ["reviewer"]).run(), "my-reviews")
    at.session_state["myrev:chosen"] = 902
    at.run()
    print("forged", at.exception, at.selectbox(key="myrev:chosen").value, [e.value for e in at.error], texts(at)[-300:])
    at = open_page(signed_in("staff", ["staff"]).run(), "expert-panel")
    at.selectbox(key="experts:chosen").set_value("expert03").run()
    at.number_input(key="expert_profile::load_cap").set_value(0)
    at.text_input(key="expert_profile::title").input("测试职称")
    at.button(key="FormSubmitter:expert_profile-保存档案").click().run()
    print("prof", at.exception, [e.value for e in at.error], at.text_input(key="expert_profile::title").value)
    at.number_input(key="expert_profile::load_cap").set_value(300)
    at.button(key="FormSubmitter:expert_profile-保存档案").click().run()
    print("prof", at.exception, [e.value for e in at.error])
    at.selectbox(key="affiliation:expert03::org_id").set_value(1)
    at.selectbox(key="affiliation:expert03::relation").set_value("顾问")
    at.button(key="FormSubmitter:affiliation:expert03-登记关联").click().run()
    print("aff", at.exception, [e.value for e in at.error], [e.value for e in at.success])
    at.selectbox(key="affiliation:expert03::org_id").set_value(1)
    at.selectbox(key="affiliation:expert03::relation").set_value("顾问")
    at.button(key="FormSubmitter:affiliation:expert03-登记关联").click().run()
    print("aff2", at.exception, [e.value for e in at.error], [e.value for e in at.success])
    at = open_page(signed_in("admin", ["admin"]).run(), "review-summary")
    print([(b.key, b.label, b.disabled) for b in at.button])
    at.button(key="summary:lock").click().run()
    print("lock", at.exception, [e.value for e in at.success], [e.value for e in at.info])
    at = open_page(signed_in("staff", ["staff"]).run(), "review-assignment")
    ed = at.get("arrow_data_frame") 
    print([type(e).__name__ for e in at.main], )
