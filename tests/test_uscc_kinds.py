"""统一社会信用代码 and the organisation kinds: full-width input is read as half-width (and stored so), a
full-width character that remains is named in the message, and every code python-stdnum accepts under
民政 (registering authority 5) with a category GB 32100-2015 defines (1 社会团体, 2 社会服务机构, 3 基金会,
9 其他社会组织) can be registered with the kind of that category; a mismatch names the expected prefix."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as _uscc

from core.orgs import organisations
from core.platform.errors import ValidationFailed
from core.platform.validation import to_failure, validate, validate_many
from schemas import choices
from schemas.organisation import Organisation
from tests.test_schema_organisation import STAFF, org_values, static_communities, uscc_for  # noqa: F401

MSG_USCC = "统一社会信用代码无效:应为18位数字或大写字母(不含I、O、Z、S、V),且最后一位校验码正确"
MSG_FULLWIDTH = "统一社会信用代码含有全角字符(如中文标点或汉字),请改用半角数字和字母"
OTHER = "其他社会组织"


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def refused(**overrides) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate(Organisation, org_values(**overrides))
    return info.value


# ---- full-width characters ---------------------------------------------------------------------------

def test_a_code_typed_in_full_width_letters_and_digits_is_stored_half_width(db):
    good = uscc_for("51", 305)
    assert "MJ" in good
    typed = fullwidth(good)
    assert typed.startswith("５１") and "ＭＪ" in typed
    assert validate(Organisation, org_values(uscc=typed))["uscc"] == good
    org_id = organisations.create(org_values(uscc=typed), STAFF)
    assert organisations.get(org_id)["uscc"] == good


def test_full_width_lower_case_and_ideographic_spaces_are_normalised_too():
    good = uscc_for("52", 77)
    typed = "\u3000" + fullwidth(good[:8]) + "\u3000" + fullwidth(good[8:].lower()) + "\u3000"
    assert validate(Organisation, org_values(kind="社会服务机构", uscc=typed))["uscc"] == good


@pytest.mark.parametrize("junk", ["51330114MJ000030。", "五一330114MJ0000305T", "51330114MJ00003０５、"])
def test_full_width_characters_that_remain_are_named_in_the_message(junk):
    assert refused(uscc=junk).fields == {"uscc": [MSG_FULLWIDTH]}


def test_a_wrong_half_width_code_keeps_its_own_message():
    good = uscc_for("51", 42)
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert refused(uscc=fullwidth(wrong)).fields == {"uscc": [MSG_USCC]}


# ---- the kinds ---------------------------------------------------------------------------------------

def test_other_social_organisations_are_a_registered_kind_with_prefix_59():
    assert OTHER in choices.ORG_KINDS and OTHER in choices.REGISTERED_KINDS
    assert choices.USCC_KIND_PREFIX[OTHER] == "59"
    assert choices.FILED_KIND == "社区社会组织(备案)" and choices.FILED_KIND not in choices.REGISTERED_KINDS
    assert choices.get("org_kinds") == ["社会团体", "社会服务机构", "基金会", OTHER, "社区社会组织(备案)"]


def test_a_59_code_is_registered_as_other_social_organisation(db):
    code = uscc_for("59", 12)
    assert _uscc.is_valid(code)
    org_id = organisations.create(org_values(name="下沙街道其他社会组织示例", kind=OTHER, uscc=code), STAFF)
    stored = organisations.get(org_id)
    assert (stored["kind"], stored["uscc"]) == (OTHER, code)


def test_other_social_organisations_need_a_code():
    assert refused(kind=OTHER, uscc=None).fields == {
        "uscc": ["社会团体、社会服务机构、基金会和其他社会组织须填写统一社会信用代码"]}


@pytest.mark.parametrize("kind,prefix,given", [
    ("社会团体", "51", "59"), ("社会服务机构", "52", "51"), ("基金会", "53", "52"), (OTHER, "59", "53"),
    ("社会团体", "51", "91"),
])
def test_a_mismatch_names_the_prefix_the_kind_expects(kind, prefix, given):
    msgs = refused(kind=kind, uscc=uscc_for(given, 3)).fields["uscc"]
    assert len(msgs) == 1
    assert msgs[0].startswith(f"统一社会信用代码前两位与组织类型不符:{kind}的代码应以{prefix}开头")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(category=st.sampled_from("0123456789"), region=st.from_regex(r"[0-9]{6}", fullmatch=True),
       code=st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True))
def test_every_minzheng_code_stdnum_accepts_fits_exactly_one_kind(category, region, code):
    body = f"5{category}{region}{code}"
    number = body + _uscc.calc_check_digit(body)
    assert _uscc.is_valid(number)
    # every kind at once, as an import's rows (the filed kind never has a code: tested in test_schema_organisation)
    kinds = list(choices.REGISTERED_KINDS)
    valid, errors = validate_many(Organisation, [org_values(kind=kind, uscc=number) for kind in kinds])
    fits = [kinds[i] for i in sorted(valid)]
    for i in set(range(len(kinds))) - set(valid):
        refusal = to_failure([e for e in errors if e.row == i])
        assert set(refusal.fields) == {"uscc"} and not refusal.form, (kinds[i], refusal.fields, refusal.form)
    if category in "1239":  # the categories GB 32100-2015 defines under 民政
        assert fits == [k for k, p in choices.USCC_KIND_PREFIX.items() if p == number[:2]]
    else:
        assert fits == []
