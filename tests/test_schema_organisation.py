"""The 社会组织 schema through the validation layer: Chinese messages per field, normalisation, and
hostile text that must be stored literally."""
from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import uscc as _uscc

from core.orgs import organisations
from core.platform.actor import Actor
from core.platform.errors import ValidationFailed
from core.platform.validation import RowError, validate, validate_many
from schemas import choices
from schemas.base import latest_date
from schemas.organisation import Organisation

STAFF = Actor("wangmin", ("staff",))

MSG_USCC = "统一社会信用代码无效:应为18位数字或大写字母(不含I、O、Z、S、V),且最后一位校验码正确"
MSG_USCC_REQUIRED = "社会团体、社会服务机构、基金会和其他社会组织须填写统一社会信用代码"


def msg_uscc_prefix(kind: str) -> str:
    """The mismatch message of ``kind``: it names the prefix that kind's code must start with."""
    others = "、".join(f"{k}{p}" for k, p in choices.USCC_KIND_PREFIX.items() if k != kind)
    return f"统一社会信用代码前两位与组织类型不符:{kind}的代码应以{choices.USCC_KIND_PREFIX[kind]}开头({others})"


MSG_FILED_NO_USCC = "备案的社区社会组织没有统一社会信用代码,请改填备案编号"
MSG_FILING_REQUIRED = "社区社会组织(备案)须填写备案编号"
MSG_PHONE = "联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"


def uscc_for(prefix: str = "51", serial: int = 0, region: str = "330114") -> str:
    """A valid USCC: authority+kind ``prefix``, region, a serial organisation code, correct check character."""
    body = f"{prefix}{region}MJ{serial:07d}"
    assert len(body) == 17
    return body + _uscc.calc_check_digit(body)


def org_values(**overrides) -> dict:
    """A valid registered 社会团体 as a form would submit it."""
    values = {
        "name": "下沙街道文海社区邻里互助协会",
        "kind": "社会团体",
        "uscc": uscc_for("51", 1),
        "filing_no": None,
        "reg_date": dt.date(2020, 5, 12),
        "legal_rep": "李红",
        "contact_person": "王芳",
        "contact_phone": "13857100000",
        "community": "文海社区",
        "service_domains": ["社区治理", "志愿服务"],
        "stage": "成长期",
        "incubation_in": None,
        "incubation_out": None,
        "rating": None,
        "rating_date": None,
        "active": True,
        "notes": None,
    }
    values.update(overrides)
    return values


def filed_values(**overrides) -> dict:
    """A valid 社区社会组织(备案): filing number, no USCC."""
    return org_values(**{"kind": choices.FILED_KIND, "uscc": None, "filing_no": "下沙备字〔2024〕第001号", **overrides})


@pytest.fixture(autouse=True)
def static_communities(monkeypatch):
    monkeypatch.setitem(choices._providers, "communities", lambda: list(choices.DEMO_COMMUNITIES))


def refused(**overrides) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, org_values(**overrides))
    return info.value


# ---- the good record ---------------------------------------------------------------------------

def test_good_record_passes_with_every_field_cleaned():
    out = validate(Organisation, org_values())
    assert out == {
        "name": "下沙街道文海社区邻里互助协会", "kind": "社会团体", "uscc": uscc_for("51", 1), "filing_no": None,
        "reg_date": dt.date(2020, 5, 12), "legal_rep": "李红", "contact_person": "王芳",
        "contact_phone": "138 5710 0000", "contact_email": None, "community": "文海社区", "service_domains": ["社区治理", "志愿服务"],
        "stage": "成长期", "incubation_in": None, "incubation_out": None, "rating": None, "rating_date": None,
        "brought_in_on": None, "active": True, "notes": None,
    }
    assert type(out["active"]) is bool


def test_filed_organisation_passes_without_uscc():
    out = validate(Organisation, filed_values())
    assert out["uscc"] is None
    assert out["filing_no"] == "下沙备字〔2024〕第001号"


@pytest.mark.parametrize("kind,prefix", [("社会团体", "51"), ("社会服务机构", "52"), ("基金会", "53"),
                                         ("其他社会组织", "59")])
def test_each_registered_kind_passes_with_its_prefix(kind, prefix):
    assert validate(Organisation, org_values(kind=kind, uscc=uscc_for(prefix, 7)))["uscc"] == uscc_for(prefix, 7)


def test_text_is_stripped_and_empty_optional_text_becomes_missing():
    out = validate(Organisation, org_values(name="  下沙协会  ", legal_rep="   ", notes="\n \t"))
    assert out["name"] == "下沙协会"
    assert out["legal_rep"] is None
    assert out["notes"] is None


def test_datetime_values_are_stored_as_dates():
    out = validate(Organisation, org_values(reg_date=dt.datetime(2021, 3, 4, 0, 0)))
    assert out["reg_date"] == dt.date(2021, 3, 4)


# ---- required text -------------------------------------------------------------------------------

@pytest.mark.parametrize("blank", ["", "   ", "\t\n", None])
def test_required_name_empty_or_whitespace(blank):
    assert refused(name=blank).fields == {"name": ["请填写组织名称"]}


@pytest.mark.parametrize("field,expected", [
    ("contact_person", "请填写联系人"), ("contact_phone", "请填写联系电话"), ("active", "请填写在册"),
    ("community", "请选择所属社区"), ("stage", "请选择发展阶段"), ("kind", "请选择组织类型"),
])
def test_every_required_field_says_what_is_missing(field, expected):
    assert refused(**{field: "  " if field != "active" else None}).fields[field] == [expected]


def test_all_problems_are_reported_at_once():
    exc = refused(name="", contact_person="", contact_phone="12345")
    assert exc.fields == {
        "name": ["请填写组织名称"], "contact_person": ["请填写联系人"], "contact_phone": [MSG_PHONE],
    }
    assert exc.form == []
    assert str(exc) == f"请填写组织名称;请填写联系人;{MSG_PHONE}"


# ---- lengths -------------------------------------------------------------------------------------

def test_name_length_limits():
    assert validate(Organisation, org_values(name="协" * 100))["name"] == "协" * 100
    assert refused(name="协" * 101).fields == {"name": ["组织名称长度应为2–100个字符"]}
    assert refused(name="协").fields == {"name": ["组织名称长度应为2–100个字符"]}


def test_notes_length_limit():
    assert validate(Organisation, org_values(notes="记" * 2000))["notes"] == "记" * 2000
    assert refused(notes="记" * 2001).fields == {"notes": ["备注不能超过2000个字符"]}


def test_contact_person_length_limit():
    assert refused(contact_person="王" * 51).fields == {"contact_person": ["联系人不能超过50个字符"]}


# ---- USCC ----------------------------------------------------------------------------------------

def test_uscc_with_wrong_check_character_is_refused():
    good = uscc_for("51", 42)
    assert _uscc.is_valid(good)
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert not _uscc.is_valid(wrong)
    assert refused(uscc=wrong).fields == {"uscc": [MSG_USCC]}


@pytest.mark.parametrize("bad", ["51330114MJ000004", "51330114MJ00000429X", "5133011IMJ0000042"])
def test_uscc_of_wrong_length_or_alphabet_is_refused(bad):
    assert refused(uscc=bad).fields["uscc"] == [MSG_USCC]


def test_lower_case_and_spaced_uscc_is_normalised():
    good = uscc_for("51", 305)
    assert any(c.isalpha() for c in good)
    messy = f" {good[:2]} {good[2:8]}-{good[8:].lower()} "
    assert validate(Organisation, org_values(uscc=messy))["uscc"] == good


@pytest.mark.parametrize("kind,prefix", [("社会团体", "52"), ("社会服务机构", "53"), ("基金会", "51"), ("社会团体", "91"),
                                         ("其他社会组织", "51"), ("社会团体", "59")])
def test_uscc_prefix_must_match_kind(kind, prefix):
    assert refused(kind=kind, uscc=uscc_for(prefix, 3)).fields == {"uscc": [msg_uscc_prefix(kind)]}


@pytest.mark.parametrize("kind", choices.REGISTERED_KINDS)
def test_registered_kinds_require_uscc(kind):
    assert refused(kind=kind, uscc=None).fields == {"uscc": [MSG_USCC_REQUIRED]}
    assert refused(kind=kind, uscc="  ").fields == {"uscc": [MSG_USCC_REQUIRED]}


def test_filed_kind_needs_filing_number_and_no_uscc():
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, org_values(kind=choices.FILED_KIND, filing_no=None))
    assert info.value.fields == {"uscc": [MSG_FILED_NO_USCC], "filing_no": [MSG_FILING_REQUIRED]}
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, filed_values(uscc=uscc_for("51", 9)))
    assert info.value.fields == {"uscc": [MSG_FILED_NO_USCC]}
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, filed_values(filing_no=" "))
    assert info.value.fields == {"filing_no": [MSG_FILING_REQUIRED]}


# ---- dates ---------------------------------------------------------------------------------------

def test_future_registration_date_is_refused_and_today_is_accepted():
    today = dt.date.today()
    assert validate(Organisation, org_values(reg_date=today))["reg_date"] == today
    assert refused(reg_date=today + dt.timedelta(days=1)).fields == {"reg_date": ["登记/备案日期不能晚于今天"]}


def test_date_before_1949_and_junk_date_are_refused():
    assert refused(reg_date=dt.date(1900, 1, 1)).fields == {"reg_date": [
        f"登记/备案日期应在1949-10-01至{latest_date().isoformat()}之间,请核对年份"]}
    assert refused(reg_date="去年春天").fields == {"reg_date": ["登记/备案日期格式不正确"]}


def test_date_given_as_iso_text_is_accepted():
    assert validate(Organisation, org_values(reg_date="2019-07-01"))["reg_date"] == dt.date(2019, 7, 1)


def test_incubation_out_before_in_is_refused_on_incubation_out():
    exc = refused(incubation_in=dt.date(2022, 5, 1), incubation_out=dt.date(2022, 4, 30))
    assert exc.fields == {"incubation_out": ["出壳日期不能早于入壳日期"]}


def test_incubation_out_on_or_after_in_passes():
    out = validate(Organisation, org_values(incubation_in=dt.date(2022, 5, 1), incubation_out=dt.date(2022, 5, 1)))
    assert (out["incubation_in"], out["incubation_out"]) == (dt.date(2022, 5, 1), dt.date(2022, 5, 1))


def test_incubation_out_without_in_is_refused():
    assert refused(incubation_out=dt.date(2023, 1, 1)).fields == {"incubation_in": ["填写出壳日期前须先填写入壳日期"]}


def test_rating_needs_its_date_and_the_date_its_rating():
    assert refused(rating="3A").fields == {"rating_date": ["等级评估与评估日期须同时填写"]}
    assert refused(rating_date=dt.date(2023, 1, 1)).fields == {"rating_date": ["等级评估与评估日期须同时填写"]}
    assert refused(rating="6A", rating_date=dt.date(2023, 1, 1)).fields == {"rating": ["请从列表中选择等级评估"]}
    out = validate(Organisation, org_values(rating="4A", rating_date=dt.date(2023, 1, 1)))
    assert (out["rating"], out["rating_date"]) == ("4A", dt.date(2023, 1, 1))


# ---- phone ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("given,stored", [
    ("13857100000", "138 5710 0000"),
    ("138 5710 0000", "138 5710 0000"),
    ("+86 138-5710-0000", "138 5710 0000"),
    ("0571-86001234", "0571 8600 1234"),
    ("057186001234", "0571 8600 1234"),
    ("(0571) 8600 1234", "0571 8600 1234"),
])
def test_mobile_and_landline_are_normalised_to_national_format(given, stored):
    assert validate(Organisation, org_values(contact_phone=given))["contact_phone"] == stored


@pytest.mark.parametrize("junk", ["12345", "电话", "abc-defg", "1385710000", "+1 650 253 0000", "86001234"])
def test_junk_phone_is_refused(junk):
    assert refused(contact_phone=junk).fields == {"contact_phone": [MSG_PHONE]}


# ---- choice lists --------------------------------------------------------------------------------

def test_community_not_in_list_is_refused():
    assert refused(community="火星社区").fields == {"community": ["请从列表中选择所属社区"]}


def test_community_list_comes_from_the_provider(monkeypatch):
    monkeypatch.setitem(choices._providers, "communities", lambda: ["火星社区"])
    assert validate(Organisation, org_values(community="火星社区"))["community"] == "火星社区"
    assert refused(community="文海社区").fields == {"community": ["请从列表中选择所属社区"]}


def test_service_domain_not_in_list_is_refused():
    assert refused(service_domains=["志愿服务", "炒股"]).fields == {"service_domains": ["服务领域含有不在列表中的选项"]}
    assert refused(service_domains="志愿服务").fields == {"service_domains": ["服务领域含有不在列表中的选项"]}


def test_empty_service_domains_become_missing():
    assert validate(Organisation, org_values(service_domains=[]))["service_domains"] is None
    assert validate(Organisation, org_values(service_domains=[" ", ""]))["service_domains"] is None


def test_kind_and_stage_must_be_from_their_lists():
    assert refused(stage="青春期").fields == {"stage": ["请从列表中选择发展阶段"]}
    assert refused(kind="公司", uscc=uscc_for("91", 1)).fields == {"kind": ["请从列表中选择组织类型"]}


# ---- the checkbox --------------------------------------------------------------------------------

@pytest.mark.parametrize("junk", ["也许", "maybe", 2])
def test_active_flag_refuses_values_that_are_not_booleans(junk):
    # before the fix, any non-empty text was coerced to True and a missing value to False
    assert refused(active=junk).fields == {"active": ["在册格式不正确"]}


def test_active_flag_false_is_kept():
    assert validate(Organisation, org_values(active=False))["active"] is False


# ---- hostile text --------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>协会",
    "'); DROP TABLE organisations; --",
    "Robert'); DELETE FROM audit_log WHERE ('1'='1",
    "😀🎉 下沙志愿者之家 👵🏻",
    "{{7*7}} ${7*7} %s %(name)s",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_validates_unchanged(text):
    out = validate(Organisation, org_values(name=text, notes=text, contact_person=text[:50]))
    assert out["name"] == text
    assert out["notes"] == text
    assert out["contact_person"] == text[:50]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_and_read_back_literally(db, text):
    org_id = organisations.create(org_values(name=text, notes=text, legal_rep=text[:50]), STAFF)
    stored = organisations.get(org_id)
    assert stored["name"] == text
    assert stored["notes"] == text
    assert stored["legal_rep"] == text[:50]
    assert db.scalar("SELECT count(*) FROM organisations") == 1
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'organisations'") == 1


def test_bidi_override_is_removed_not_stored(db):
    # a right-to-left override is not a control character in the C0 sense, but it reverses how the rest of
    # the name is shown (a spoofable name): the text normaliser removes it from every text field
    spoof = "下沙\u202e协会"
    out = validate(Organisation, org_values(name=spoof, notes=spoof, contact_person=spoof))
    assert (out["name"], out["notes"], out["contact_person"]) == ("下沙协会",) * 3
    org_id = organisations.create(org_values(name=spoof, notes=spoof, legal_rep=spoof), STAFF)
    stored = organisations.get(org_id)
    assert (stored["name"], stored["notes"], stored["legal_rep"]) == ("下沙协会",) * 3


def test_notes_keep_newlines_and_tabs():
    text = "第一行\n第二行\t缩进\r\n第三行"
    assert validate(Organisation, org_values(notes=text))["notes"] == text


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\x0b"])
def test_control_characters_are_refused(ch):
    exc = refused(name=f"下沙{ch}协会", notes=f"备注{ch}内容")
    assert exc.fields == {"name": ["组织名称不能包含控制字符"], "notes": ["备注不能包含控制字符"]}


# ---- many rows at once ---------------------------------------------------------------------------

def test_validate_many_keeps_good_rows_and_reports_bad_ones_by_position():
    rows = [
        org_values(name="甲协会", uscc=uscc_for("51", 1)),
        org_values(name="", uscc=uscc_for("51", 2)),
        filed_values(name="丙服务队"),
        org_values(name="丁协会", uscc=uscc_for("51", 4), contact_phone="x", rating="2A"),
    ]
    valid, errors = validate_many(Organisation, rows)
    assert sorted(valid) == [0, 2]
    assert valid[0]["name"] == "甲协会"
    assert valid[2]["name"] == "丙服务队"
    assert sorted(errors, key=lambda e: (e.row, e.field)) == [
        RowError(1, "name", "组织名称", "请填写组织名称"),
        RowError(3, "contact_phone", "联系电话", MSG_PHONE),
        RowError(3, "rating_date", "评估日期", "等级评估与评估日期须同时填写"),
    ]


def test_validate_many_of_nothing():
    assert validate_many(Organisation, []) == ({}, [])


def test_unknown_keys_are_dropped():
    out = validate(Organisation, org_values(id=99, created_by="mallory", password_hash="x"))
    assert "id" not in out and "created_by" not in out and "password_hash" not in out


def test_a_value_of_the_wrong_type_gets_one_message_and_spoils_only_its_row():
    # a junk date used to add the messages of the date checks that then crashed on the text, with no
    # row number, which made every row of an import invalid
    rows = [org_values(reg_date="去年春天"), org_values(name="乙协会", uscc=uscc_for("51", 5))]
    valid, errors = validate_many(Organisation, rows)
    assert sorted(valid) == [1]
    assert errors == [RowError(0, "reg_date", "登记/备案日期", "登记/备案日期格式不正确")]


# ---- 联系邮箱 (optional; the reminders about the organisation are emailed to it) ----------------------------
def test_contact_email_is_optional_and_checked():
    assert validate(Organisation, org_values(contact_email=" org0001@example.org "))["contact_email"] == \
        "org0001@example.org"
    assert validate(Organisation, org_values(contact_email=""))["contact_email"] is None
    for bad in ("org0001", "org@example", "a b@example.org", "x@@example.org"):
        assert refused(contact_email=bad).fields == {"contact_email": ["联系邮箱格式不正确"]}, bad
