"""服务对象: the named people a project serves (the 12 困境儿童 of 青葵伙伴), one record per person however many
projects serve them; their enrolment in a project (入组 / 结束服务 dates), their attendance at the project's ledger
activities, and a project's 负责社工 (the staff who may see its people by name) (core.resources.beneficiaries).

Personal data follows the volunteers' consent rules (:mod:`schemas.consent`): a phone number or an ID number is
kept only with consent. An ID number (身份证号) is optional, checked with python-stdnum (``stdnum.cn.ric``) and
never stored as typed: the record keeps it masked (330106********0078) and the write path a keyed digest of it
(to recognise the same person in another project)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series
from stdnum.cn import ric

from schemas import choices
from schemas.base import FormSchema, blank, field, rule
from schemas.checks import normalise_phone
from schemas.volunteer import GENDERS  # noqa: F401  (the "genders" list is declared there)
from schemas.consent import consent_fields, consent_rules, no_consent_message

BENEFICIARY_GROUPS = ["困境儿童", "留守儿童", "一老一小", "独居老人", "高龄老人", "残障人士", "计生特殊家庭",
                      "低收入家庭", "其他"]
AGE_GROUPS = ["0-6岁", "7-12岁", "13-17岁", "18-59岁", "60-79岁", "80岁及以上"]
for _source, _values in {"beneficiary_groups": BENEFICIARY_GROUPS, "age_groups": AGE_GROUPS}.items():
    choices.register_provider(_source, lambda v=_values: v)

FIRST_YEAR = 1900
MASK = "*"
NO_CONSENT_PHONE = no_consent_message("联系电话", "联系电话")
NO_CONSENT_ID = no_consent_message("身份证号", "身份证号")
BAD_ID = "身份证号无效:应为18位(最后一位可为X),出生日期和校验位须正确;没有可不填"
AGE_NEEDED = "请填写出生年份或选择年龄段(至少一项),用于识别同一人和按年龄统计"


def masked_id(number: str) -> str:
    """330106200901010078 -> 330106********0078 (the region and the last four kept)."""
    return number[:6] + MASK * (len(number) - 10) + number[-4:]


def is_masked_id(value) -> bool:
    return isinstance(value, str) and MASK in value


def _id_ok(value) -> bool:
    if blank(value) or is_masked_id(value):  # a stored record's masked number stays as it is
        return True
    try:
        ric.validate(value)
        return len(ric.compact(value)) == 18
    except Exception:  # stdnum's InvalidFormat / InvalidChecksum / InvalidComponent
        return False


def tidy_id(value):
    if not isinstance(value, str):
        return value
    text = re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", value)).upper()
    return text or None


class Beneficiary(FormSchema):
    name: Series[str] = field("姓名", name=True, str_length={"min_value": 2, "max_value": 50})
    gender: Series[str] = field("性别", widget="select", source="genders", required=False)
    birth_year: Series[pd.Int64Dtype] = field("出生年份", widget="int", required=False, ge=FIRST_YEAR,
                                              le=dt.date.today().year,
                                              help="与姓名、所在社区一起识别同一人(不同项目服务同一人只算一人)")
    age_group: Series[str] = field("年龄段", widget="select", source="age_groups", required=False)
    community: Series[str] = field("所在社区", widget="select", source="communities")
    target_group: Series[str] = field("服务人群", widget="select", source="beneficiary_groups")
    guardian: Series[str] = field("监护人/联系人", name=True, required=False, str_length={"max_value": 50},
                                  help="儿童填写监护人,老人可填写子女或联系人")
    phone: Series[str] = field("联系电话", required=False, phone_cn=(),
                               help="须先取得本人或监护人同意才能登记;列表和导出中只显示为 138****1001")
    id_number: Series[str] = field("身份证号", required=False, str_length={"max_value": 18},
                                   help="可不填;只用于识别同一人:不保存号码本身,只保存隐去出生日期的号码")
    consent: Series[pd.BooleanDtype]
    consent_date: Series[pd.Timestamp]
    consent_method: Series[str]
    consent, consent_date, consent_method = consent_fields("本人或监护人同意中心登记并使用其联系方式等个人信息")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 1000},
                               help="只写服务需要的情况,不写与服务无关的隐私")

    @pa.parser("phone")
    @classmethod
    def _phone(cls, s: pd.Series) -> pd.Series:  # 13857101001 is stored as 138 5710 1001
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    @pa.parser("id_number")
    @classmethod
    def _id(cls, s: pd.Series) -> pd.Series:  # full-width digits, spaces, a lower-case x
        return s.map(tidy_id)

    @rule("id_number", message=BAD_ID)
    def _id_valid(cls, df: pd.DataFrame) -> pd.Series:
        return df["id_number"].map(_id_ok)

    @rule("birth_year", "age_group", message=AGE_NEEDED)
    def _age_known(cls, df: pd.DataFrame) -> pd.Series:
        return df["birth_year"].notna() | df["age_group"].map(lambda v: not blank(v))

    _phone_consent, _id_consent, _consent_dated, _consent_how = consent_rules(
        ("phone", NO_CONSENT_PHONE), ("id_number", NO_CONSENT_ID))


class Enrolment(FormSchema):
    """A person served by a project: from 入组日期 until 结束服务日期 (empty while served)."""
    beneficiary_id: Series[pd.Int64Dtype] = field("服务对象编号", widget="int", ge=1)
    project_id: Series[pd.Int64Dtype] = field("服务项目", widget="select", source="projects")
    enrolled_on: Series[pd.Timestamp] = field("入组日期", widget="date", not_future=())
    ended_on: Series[pd.Timestamp] = field("结束服务日期", widget="date", required=False, not_future=(),
                                           help="不再服务时填写;之后的活动不能再登记其出勤")
    enrol_notes: Series[str] = field("入组说明", required=False, str_length={"max_value": 500})

    @rule("ended_on", message="结束服务日期不能早于入组日期")
    def _ends_after(cls, df: pd.DataFrame) -> pd.Series:
        return df["ended_on"].isna() | df["enrolled_on"].isna() | (df["ended_on"] >= df["enrolled_on"])


class Intake(Beneficiary):
    """The register form and the Excel sheet of one project: the person, then the day they joined the project."""
    enrolled_on: Series[pd.Timestamp] = field("入组日期", widget="date", not_future=())


class Attendance(FormSchema):
    beneficiary_id: Series[pd.Int64Dtype] = field("服务对象编号", widget="int", ge=1)
    activity_id: Series[pd.Int64Dtype] = field("服务活动编号", widget="int", ge=1)


class ProjectStaff(FormSchema):
    """One 负责社工 of a project: a staff or admin account that may see the project's people by name."""
    project_id: Series[pd.Int64Dtype] = field("服务项目", widget="select", source="projects")
    username: Series[str] = field("负责社工", widget="select", source="staff_accounts")


class Staffing(FormSchema):
    """The project file's form: every 负责社工 of the project at once."""
    usernames: Series[object] = field("负责社工", widget="multiselect", source="staff_accounts", required=False,
                                      help="只有负责社工和管理员能查看该项目服务对象的姓名等信息")
