import time
from tests.apptest_helpers import open_page, signed_in, texts

def test_x(demo_db):
    from core.db import get_db
    from core import reviews, rounds, rubrics
    db = get_db()
    at = open_page(signed_in("expert", ["reviewer"]).run(), "my-reviews")
    at.selectbox(key="myrev:chosen").set_value(935).run()
    at.button(key="myrev:ok:935").click().run()
    k = "score:935::"
    vals = {43: 25, 44: 20, 45: 10, 46: 12, 47: 8, 48: 8}
    for c, v in vals.items():
        at.number_input(key=f"{k}score_{c}").set_value(v)
    at.selectbox(key=f"{k}recommendation").set_value("可推荐")
    at.run()
    print([(m.label, m.value) for m in at.metric])
    at.button(key=f"{k}__btn::提交评分(提交后不能修改)").click().run()
    print(at.exception)
    print([e.value for e in at.error])
    print([(n.key, n.value) for n in at.number_input], at.selectbox(key=f"{k}recommendation").value)
    print(reviews.review_of(935))
    at.number_input(key=f"{k}score_43").set_value(15)
    at.button(key=f"{k}__btn::提交评分(提交后不能修改)").click().run()
    print([e.value for e in at.error])
    at.text_input(key=f"{k}comment_45").input("团队经验不足")
    at.button(key=f"{k}__btn::提交评分(提交后不能修改)").click().run()
    print(at.exception)
    print([e.value for e in at.error]); print([s.value for s in at.success])
    print(reviews.review_of(935))
    print(texts(at)); print(len(at.number_input))
    print([d.value for d in at.dataframe[1:]])
