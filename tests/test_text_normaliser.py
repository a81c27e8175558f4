"""The one text normaliser (schemas/text.py) and where it applies: every text field of every schema (through
``FormSchema``'s tidy step) and the reasons and notes core takes as plain arguments.

Required text made only of invisible characters (zero-width space, word joiner, BOM, soft hyphen …) is
missing; bidi controls (a right-to-left override spoofs a name) are never stored; text is stored in NFC;
names have single spaces; passwords stay exactly as typed. The property over every schema is in
tests/test_property_schemas.py.
"""
from __future__ import annotations

import unicodedata

import pytest

from core.intake import applications, rounds
from core.orgs import organisations
from core.platform import users
from core.platform.errors import ValidationFailed
from core.platform.validation import validate
from core.review import assignment, consolidation, reviews
from schemas import text
from schemas.organisation import Organisation
from schemas.user import PasswordChange, UserAccount
from tests.test_reviews import score, setup  # noqa: F401  (setup is a fixture)
from tests.test_rounds import ADMIN, STAFF, hub, make_app, make_org, make_round  # noqa: F401
from tests.test_schema_organisation import STAFF as ORG_STAFF, org_values, static_communities  # noqa: F401

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u2061", "\u3164",
             "\u115f", "\u034f", "\ufe0f"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
ONLY_INVISIBLE = ["\u200b" * 5, "\u2060\ufeff\u200b", " \u200b\u3000\u00ad ", "".join(INVISIBLE), "".join(BIDI),
                  "\u202e\u200b\u2066\u2069"]


# ---- the normaliser itself ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ONLY_INVISIBLE)
def test_text_made_only_of_invisible_or_bidi_characters_is_missing(value):
    assert text.clean(value) is None
    assert text.clean(value, name=True) is None
    assert text.required(value) == ""


@pytest.mark.parametrize("ch", INVISIBLE + BIDI)
def test_each_invisible_or_bidi_character_is_removed_inside_text(ch):
    assert text.clean(f"下沙{ch}协会") == "下沙协会"


def test_a_right_to_left_override_cannot_reverse_a_name():
    assert text.clean("下沙\u202e会协区社") == "下沙会协区社"
    assert text.clean("\u2067abc\u2069.exe") == "abc.exe"


@pytest.mark.parametrize("emoji", [
    "😀", "👵🏻", "❤️", "1\ufe0f\u20e3", "👨\u200d👩\u200d👧", "👩\u200d⚕️", "❤️\u200d🔥", "🏳️\u200d🌈", "🇨🇳",
    "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",  # Scotland: a tag sequence
])
def test_emoji_and_their_joiners_are_kept(emoji):
    assert text.clean(f"下沙{emoji}志愿者") == f"下沙{emoji}志愿者"


def test_a_joiner_or_selector_that_joins_nothing_is_removed():
    assert text.clean("a\u200db") == "ab"
    assert text.clean("😀\u200d") == "😀"
    assert text.clean("\ufe0f下沙") == "下沙"
    assert text.clean("沙\ufe0f 0\ufe0f") == "沙 0"  # an emoji selector after a letter or a bare digit
    assert text.clean("下\U000E0067沙") == "下沙"


def test_ordinary_chinese_punctuation_and_full_width_text_are_kept():
    value = "下沙街道「邻里守望」服务队(第一期):助老、助残;１２３！"
    assert text.clean(value) == value


def test_text_is_stored_in_nfc():
    decomposed = "Cafe\u0301 e\u200b\u0301"  # the accent after a removed zero-width space joins the e too
    cleaned = text.clean(decomposed)
    assert cleaned == "Caf\u00e9 \u00e9"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_names_have_single_spaces_other_text_keeps_its_layout():
    assert text.clean("  王\u3000\u3000芳  ", name=True) == "王 芳"
    assert text.clean("Zhang \u00a0 \t San", name=True) == "Zhang San"
    assert text.clean("第一行\n\n  第二行\u3000缩进") == "第一行\n\n  第二行\u3000缩进"


def test_what_is_not_text_is_left_alone():
    assert text.clean(None) is None
    assert text.clean(12) == 12


# ---- through the schemas ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ONLY_INVISIBLE)
def test_organisation_name_and_contact_of_invisible_characters_are_required_messages(value):
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, org_values(name=value, contact_person=value))
    assert info.value.fields == {"name": ["请填写组织名称"], "contact_person": ["请填写联系人"]}


def test_length_counts_what_is_left():
    # 100 characters of name plus 30 zero-width spaces: 100 are left, within the limit
    out = validate(Organisation, org_values(name="协" * 100 + "\u200b" * 30, contact_person="王\u200b" * 50))
    assert out["name"] == "协" * 100
    assert out["contact_person"] == "王" * 50
    # two characters of which one is invisible: one is left, below the minimum
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, org_values(name="协\u200b"))
    assert info.value.fields == {"name": ["组织名称长度应为2–100个字符"]}


def test_bidi_controls_are_not_stored_in_any_organisation_text(db):
    spoof = "\u202e下沙\u2066协会\u2069\u200f"
    org_id = organisations.create(org_values(name=spoof, contact_person=spoof, legal_rep=spoof, notes=spoof,
                                             filing_no=None), ORG_STAFF)
    stored = organisations.get(org_id)
    assert (stored["name"], stored["contact_person"], stored["legal_rep"], stored["notes"]) == ("下沙协会",) * 4


def test_organisation_names_are_collapsed_notes_are_not():
    out = validate(Organisation, org_values(name=" 下沙  邻里\u3000互助协会 ", contact_person="王  芳",
                                            notes="第一段\n\n第二段  空两格"))
    assert out["name"] == "下沙 邻里 互助协会"
    assert out["contact_person"] == "王 芳"
    assert out["notes"] == "第一段\n\n第二段  空两格"


def test_user_name_of_invisible_characters_is_required_and_the_username_is_cleaned():
    with pytest.raises(ValidationFailed) as info:
        validate(UserAccount, {"username": "zhang\u200bsan", "name": "\u2060\u200b", "roles": ["staff"], "active": True})
    assert info.value.fields == {"name": ["请填写姓名"]}
    out = validate(UserAccount, {"username": "\u202ezhangsan", "name": "张\u3000三", "roles": ["staff"], "active": True})
    assert (out["username"], out["name"]) == ("zhangsan", "张 三")


def test_passwords_stay_exactly_as_typed_only_blank_ones_are_missing():
    typed = "  Hub\u200bDesk-2026 \u202e "
    out = validate(PasswordChange, {"current": typed, "new": typed, "confirm": typed})
    assert out["current"] == out["new"] == typed
    with pytest.raises(ValidationFailed) as info:
        validate(PasswordChange, {"current": "\u200b\u200b", "new": typed, "confirm": typed})
    assert info.value.fields == {"current": ["请填写当前密码"]}


def test_checklist_lines_are_cleaned_item_by_item(hub):
    rid = make_round(checklist=["登记\u200b/备案有效", "\u200b\u2060", "  无不良\u202e记录 "])
    assert rounds.get(rid)["checklist"] == ["登记/备案有效", "无不良记录"]


# ---- core entry points that take text directly -------------------------------------------------------

def test_a_recusal_reason_of_invisible_characters_is_refused_and_a_spoofed_one_cleaned(setup):
    s = setup
    with pytest.raises(ValidationFailed) as info:
        assignment.recuse(s["t_li"], "\u200b\u2060\ufeff", s["li"])
    assert info.value.fields == {"reason": ["请说明利益冲突的情况"]}
    assignment.recuse(s["t_li"], "我是该组织\u202e的理事", s["li"])
    assert s["db"].scalar("SELECT recused_reason FROM assignments WHERE id = ?", [s["t_li"]]) == "我是该组织的理事"
    assert s["db"].scalar("SELECT note FROM audit_log ORDER BY id DESC LIMIT 1") == "我是该组织的理事"


def test_a_reopening_reason_counts_only_visible_characters(setup):
    s = setup
    score(s["t_li"], s["li"], s["round"], 80)
    review_id = reviews.review_of(s["t_li"])["id"]
    with pytest.raises(ValidationFailed) as info:
        reviews.reopen(review_id, "改\u200b\u200b\u200b\u200b", STAFF)
    assert info.value.fields == {"reason": ["请填写重新开放的原因(至少4个字)"]}


def test_re_review_note_and_unlock_reason_of_invisible_characters_are_refused(setup):
    s = setup
    with pytest.raises(ValidationFailed) as info:
        consolidation.send_to_re_review(s["apps"][0], "\u2060\u200b", STAFF)
    assert info.value.fields == {"note": ["请写明复评安排(增加专家或会商意见)"]}
    with pytest.raises(ValidationFailed) as info:
        consolidation.unlock(s["round"], "\u200b" * 8, ADMIN)
    assert info.value.fields == {"reason": ["请填写解锁原因(至少4个字)"]}


def test_a_withdrawal_reason_of_invisible_characters_is_refused(hub):
    rid, org = make_round(), make_org(1)
    app_id = make_app(rid, org, submit=True)
    with pytest.raises(ValidationFailed) as info:
        applications.move(app_id, "withdrawn", STAFF, note="\u200b\ufeff")
    assert info.value.fields == {"note": ["撤回须填写原因"]}
    assert applications.get(app_id)["state"] == "submitted"


def test_a_frozen_round_needs_a_visible_override_reason(hub):
    rid, org = make_round(), make_org(1)
    make_app(rid, org, submit=True)
    with pytest.raises(ValidationFailed) as info:
        rounds.update(rid, {"notes": "改"}, ADMIN, override_reason="\u200b\u2060")
    assert info.value.form == ["该批次已有申报,设置已冻结。如确需修改,请填写修改原因(将记入审计日志)。"]


def test_a_new_user_with_an_invisible_name_is_not_created(db):
    with pytest.raises(ValidationFailed) as info:
        users.create({"username": "zhangsan", "name": "\u200b\u200b", "roles": ["staff"], "active": True}, ADMIN)
    assert info.value.fields == {"name": ["请填写姓名"]}
    assert users.get("zhangsan") is None


NAME_FIELDS = {
    "schemas.organisation.Organisation": {"name", "legal_rep", "contact_person"},
    "schemas.user.UserAccount": {"name"},
    "schemas.capability.Training": {"trainer", "partner"},
    "schemas.incubation.Mentor": {"name", "employer"},
    "schemas.monitoring.Brand": {"name"},
    "schemas.monitoring.ServicePoint": {"name"},
    "schemas.monitoring.Release": {"approver"},
    "schemas.monitoring.EvaluationBase": {"evaluator"},
    "schemas.round.Round": {"name"},
}


@pytest.mark.parametrize("path,fields", sorted(NAME_FIELDS.items()))
def test_names_are_declared_once_on_the_schema_and_collapsed_by_its_tidy_step(path, fields):
    import importlib

    import pandas as pd

    from schemas.base import field_specs

    module, cls = path.rsplit(".", 1)
    model = getattr(importlib.import_module(module), cls)
    declared = {n for n, m in field_specs(model).items() if m.get("is_name")}
    assert fields <= declared
    frame = pd.DataFrame([{n: " 下沙\u3000\u3000街道  服务\u200b中心 " for n in field_specs(model)}], dtype=object)
    tidied = model._tidy_text(frame).iloc[0]
    for n, meta in field_specs(model).items():
        if meta.get("widget") in ("text", "textarea"):
            expected = "下沙 街道 服务中心" if n in declared else "下沙\u3000\u3000街道  服务中心"
            assert tidied[n] == expected, (n, tidied[n])
