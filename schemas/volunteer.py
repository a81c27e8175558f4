"""志愿者: the volunteer register (consent for personal data recorded), the open calls staff publish for a project or
an activity and their sign-ups, and the service records (hours per volunteer per ledger activity)."""
import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, field
from schemas.checks import normalise_phone
from schemas.consent import CONSENT_METHODS, consent_fields, consent_rules, no_consent_message

VOLUNTEER_SKILLS = ["陪伴照护", "课业辅导", "心理疏导", "文艺表演", "医疗健康", "法律咨询", "家电维修", "摄影宣传",
                    "活动组织", "信息技术", "手工技艺", "外语翻译"]
GENDERS = ["男", "女"]
CALL_STATES = ["招募中", "已满员", "已结束"]
SERVICE_ROLES = ["活动协助", "专业服务", "后勤保障", "宣传记录", "组织协调"]
for _source, _values in {"volunteer_skills": VOLUNTEER_SKILLS, "genders": GENDERS,
                         "call_states": CALL_STATES,
                         "service_roles": SERVICE_ROLES}.items():
    choices.register_provider(_source, lambda v=_values: v)

NO_CONSENT_PHONE = no_consent_message("联系电话", "联系电话")


class Volunteer(FormSchema):
    name: Series[str] = field("姓名", name=True, str_length={"min_value": 2, "max_value": 50})
    phone: Series[str] = field("联系电话", required=False, phone_cn=(),
                               help="须先取得本人同意才能登记;领导和列表、导出中只显示为 138****1001")
    gender: Series[str] = field("性别", widget="select", source="genders", required=False)
    community: Series[str] = field("所在社区", widget="select", source="communities")
    skills: Series[object] = field("技能特长", widget="multiselect", source="volunteer_skills", required=False)
    org_id: Series[pd.Int64Dtype] = field("服务组织", widget="select", source="orgs", required=False,
                                          help="志愿者随哪家社会组织服务;个人报名可不填")
    consent: Series[pd.BooleanDtype]
    consent_date: Series[pd.Timestamp]
    consent_method: Series[str]
    consent, consent_date, consent_method = consent_fields("本人同意中心登记并使用其联系方式等个人信息")
    notes: Series[str] = field("备注", widget="textarea", required=False, str_length={"max_value": 1000})

    @pa.parser("phone")
    @classmethod
    def _phone(cls, s: pd.Series) -> pd.Series:  # 13857101001 is stored as 138 5710 1001
        return s.map(lambda v: (normalise_phone(v) or v) if isinstance(v, str) else v)

    _phone_needs_consent, _consent_dated, _consent_how = consent_rules(("phone", NO_CONSENT_PHONE))


class VolunteerCall(FormSchema):
    title: Series[str] = field("招募标题", str_length={"min_value": 2, "max_value": 100})
    project_id: Series[pd.Int64Dtype] = field("招募项目", widget="select", source="projects")
    activity_id: Series[pd.Int64Dtype] = field("服务活动编号", widget="int", required=False, ge=1,
                                               help="招募针对服务台账中某次活动时填写其编号;针对整个项目可不填")
    call_date: Series[pd.Timestamp] = field("服务日期", widget="date")
    places: Series[pd.Int64Dtype] = field("招募人数", widget="int", ge=1, le=1000)
    skills: Series[object] = field("所需技能", widget="multiselect", source="volunteer_skills", required=False)
    status: Series[str] = field("招募状态", widget="select", source="call_states")
    description: Series[str] = field("招募说明", widget="textarea", required=False, str_length={"max_value": 2000})


class VolunteerSignup(FormSchema):
    call_id: Series[pd.Int64Dtype] = field("招募", widget="select", source="volunteer_calls")
    volunteer_id: Series[pd.Int64Dtype] = field("报名志愿者", widget="select", source="volunteers")
    signed_on: Series[pd.Timestamp] = field("报名日期", widget="date", not_future=())
    notes: Series[str] = field("报名备注", required=False, str_length={"max_value": 500})


class VolunteerService(FormSchema):
    volunteer_id: Series[pd.Int64Dtype] = field("服务志愿者", widget="select", source="volunteers")
    activity_id: Series[pd.Int64Dtype] = field("服务活动编号", widget="int", ge=1)
    hours: Series[float] = field("服务时长(小时)", widget="float", gt=0, le=24)
    role: Series[str] = field("服务角色", widget="select", source="service_roles")
    notes: Series[str] = field("服务备注", required=False, str_length={"max_value": 500})
