"""The pages registry: which screens exist, where they live, and which roles may open them.

``Home.py`` builds ``st.Page`` objects from this list for the signed-in user's roles only, and every
screen also checks its own entry (``core.ui.session.require``). Data only: no streamlit here.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.registry import all_entities
from schemas.choices import ROLES

ALL_ROLES = ("admin", "staff", "reviewer", "leader")
# The icon of a URL that is known but draws no screen: every screen's URL while signed out (the login form
# shows), and a screen the role may not open (a Chinese notice shows). Home.py registers them so bookmarks,
# F5 and shared links keep their path; tests tell them from real screens by this icon.
PLACEHOLDER_ICON = ":material/lock:"


@dataclass(frozen=True)
class PageSpec:
    key: str            # stable id, used by require()
    title: str          # Chinese title in the navigation
    target: str         # "module:function" under pages/ (an entity's generic screen: core.ui.admin:<entity>)
    url_path: str       # must differ from every pages/ file stem (AppTest / fresh-server trap)
    roles: tuple[str, ...]
    section: str
    icon: str = ""
    default: bool = False
    writes: tuple[str, ...] = ()  # entities this screen can write (for the access matrix)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "工作台", "pages.home:render", "workbench", ALL_ROLES, "首页", ":material/home:", default=True),
    PageSpec("dash_overview", "数据总览", "pages.dashboards:overview", "dashboard-overview", ("leader", "admin", "staff"),
             "领导驾驶舱", ":material/monitoring:"),
    PageSpec("dash_charts", "专题分析", "pages.dashboards:charts", "dashboard-charts", ("leader", "admin", "staff"),
             "领导驾驶舱", ":material/bar_chart:"),
    PageSpec("dash_meeting", "会议大屏", "pages.dashboards:meeting", "dashboard-meeting", ("leader", "admin", "staff"),
             "领导驾驶舱", ":material/connected_tv:"),
    PageSpec("annual_report", "年度成效报告", "pages.documents:render", "annual-report", ("admin", "staff"), "领导驾驶舱",
             ":material/summarize:", writes=("annual_report",)),
    PageSpec("annual_report_read", "年度成效报告", "pages.documents:overview", "annual-report-view", ("leader",),
             "领导驾驶舱", ":material/summarize:"),
    PageSpec("org_list", "社会组织台账", "pages.registry:org_list", "orgs", ("admin", "staff"), "社会组织",
             ":material/apartment:", writes=("organisation",)),
    PageSpec("org_new", "登记新组织", "pages.registry:org_new", "orgs-new", ("admin", "staff"), "社会组织",
             ":material/add_business:", writes=("organisation",)),
    PageSpec("org_import", "批量导入", "pages.registry:org_import", "orgs-import", ("admin", "staff"), "社会组织",
             ":material/upload_file:", writes=("organisation",)),
    PageSpec("ideas", "金点子征集", "pages.ideas:render", "idea-pool", ("admin", "staff"), "公益创投",
             ":material/lightbulb:", writes=("idea", "application", "milestone", "application_event")),
    PageSpec("apply", "项目申报", "pages.applications:intake", "apply", ("admin", "staff"), "公益创投",
             ":material/edit_document:", writes=("application", "milestone", "application_event")),
    PageSpec("applications", "申报项目", "pages.applications:app_list", "application-list", ("admin", "staff"),
             "公益创投", ":material/list_alt:", writes=("application", "application_event", "document")),
    PageSpec("application", "申报详情", "pages.applications:app_page", "application", ("admin", "staff"), "公益创投",
             ":material/description:", writes=("application", "application_event", "document")),
    PageSpec("screening", "资格审查", "pages.applications:screening", "screening-queue", ("admin", "staff"),
             "公益创投", ":material/fact_check:", writes=("application", "screening", "application_event")),
    PageSpec("decisions", "决定与公示", "pages.decisions:render", "decision-notice", ("admin", "staff"), "公益创投",
             ":material/gavel:", writes=("application", "application_event", "round", "objection")),
    PageSpec("experts", "评审专家", "pages.review_admin:experts", "expert-panel", ("admin", "staff"), "专家评审",
             ":material/school:", writes=("reviewer_profile", "affiliation")),
    PageSpec("review_assign", "评审分配", "pages.review_admin:assign", "review-assignment", ("admin", "staff"),
             "专家评审", ":material/assignment_ind:", writes=("assignment", "criterion", "review")),
    PageSpec("review_summary", "评审汇总", "pages.review_admin:summary", "review-summary", ("admin", "staff"),
             "专家评审", ":material/leaderboard:",
             writes=("application", "application_event", "recommendation_override", "review", "round")),
    PageSpec("my_reviews", "我的评审", "pages.reviews:render", "my-reviews", ("reviewer",), "专家评审",
             ":material/rate_review:", writes=("review", "review_score", "assignment")),
    PageSpec("projects", "项目监管", "pages.monitoring:project_list", "funded-projects", ("admin", "staff"), "动态监管",
             ":material/assignment_turned_in:", writes=("project", "project_milestone", "tranche", "project_event")),
    PageSpec("project", "项目档案", "pages.monitoring:project_page", "project-file", ("admin", "staff"), "动态监管",
             ":material/folder_open:", writes=("project", "project_milestone", "activity", "tranche", "expense",
                                               "evaluation", "risk_ack", "project_event", "document", "project_staff")),
    PageSpec("risk_board", "风险预警", "pages.monitoring:risk_board", "risk-warnings", ("admin", "staff"), "动态监管",
             ":material/warning:", writes=("risk_ack", "risk_setting", "evaluation", "project", "tranche")),
    PageSpec("activity_entry", "服务台账录入", "pages.monitoring:activity_entry", "activity-ledger", ("admin", "staff"),
             "动态监管", ":material/event_available:", writes=("activity",)),
    PageSpec("brands", "品牌矩阵", "pages.monitoring:brand_matrix", "brand-matrix", ("admin", "staff"), "动态监管",
             ":material/workspace_premium:", writes=("brand", "service_point")),
    PageSpec("monitoring_policy", "监管规则", "pages.monitoring:policy", "monitoring-rules", ("admin",), "动态监管",
             ":material/rule:", writes=("monitoring_policy",)),
    PageSpec("mentoring", "一对一辅导", "pages.mentoring:mentoring", "mentor-sessions", ("admin", "staff"),
             "孵化与能力建设", ":material/diversity_3:",
             writes=("mentor", "mentor_pairing", "mentoring_session", "mentoring_action")),
    PageSpec("trainings", "能力培训", "pages.capability:trainings", "trainings", ("admin", "staff"), "孵化与能力建设",
             ":material/school:", writes=("training", "training_attendance", "training_feedback")),
    PageSpec("assessments", "能力评估", "pages.capability:assessments", "capability-assessments", ("admin", "staff"),
             "孵化与能力建设", ":material/radar:", writes=("assessment", "assessment_score", "instrument",
                                                     "instrument_dimension", "instrument_indicator", "support_map")),
    PageSpec("lifecycle", "孵化与等级", "pages.mentoring:lifecycle", "incubation-ratings", ("admin", "staff"),
             "孵化与能力建设", ":material/trending_up:",
             writes=("stage_change", "incubation_decision", "rating", "organisation")),
    PageSpec("org_support", "组织成长档案", "pages.mentoring:org_support", "org-support", ("admin", "staff"),
             "孵化与能力建设", ":material/folder_shared:"),
    PageSpec("needs_track", "需求动态跟踪", "pages.res_needs:tracking", "needs-tracking", ("admin", "staff", "leader"),
             "资源与需求", ":material/track_changes:"),
    PageSpec("needs", "需求与回应", "pages.res_needs:render", "need-responses", ("admin", "staff"), "资源与需求",
             ":material/handshake:", writes=("need", "need_event", "need_link")),
    PageSpec("res_bookings", "场地设备预约", "pages.res_bookings:render", "bookings", ("admin", "staff"),
             "资源与需求", ":material/event_seat:", writes=("booking", "activity")),
    PageSpec("res_booking_calendar", "场地日历与使用率", "pages.res_bookings:calendar", "venue-calendar",
             ("admin", "staff", "leader"), "资源与需求", ":material/calendar_month:"),
    PageSpec("res_volunteers", "志愿者", "pages.res_volunteers:render", "volunteer-register", ("admin", "staff"),
             "资源与需求", ":material/volunteer_activism:",
             writes=("volunteer", "volunteer_call", "volunteer_signup", "volunteer_service")),
    PageSpec("res_volunteers_read", "志愿者概况", "pages.res_volunteers:overview", "volunteer-overview", ("leader",),
             "资源与需求", ":material/volunteer_activism:"),
    PageSpec("res_surveys", "居民满意度调查", "pages.res_surveys:render", "satisfaction-surveys", ("admin", "staff"),
             "资源与需求", ":material/sentiment_satisfied:",
             writes=("survey", "survey_question", "survey_response", "survey_answer")),
    PageSpec("res_surveys_read", "居民满意度概况", "pages.res_surveys:overview", "satisfaction-overview", ("leader",),
             "资源与需求", ":material/sentiment_satisfied:"),
    PageSpec("res_beneficiaries", "服务对象", "pages.res_beneficiaries:render", "beneficiary-register", ("admin", "staff"),
             "资源与需求", ":material/diversity_1:", writes=("beneficiary", "beneficiary_enrolment", "beneficiary_attendance")),
    PageSpec("res_beneficiaries_read", "服务对象概况", "pages.res_beneficiaries:overview", "beneficiary-overview",
             ("leader",), "资源与需求", ":material/diversity_1:"),
    PageSpec("partner_claims", "伙伴贡献与认领", "pages.res_partners:render", "partner-claims", ("admin", "staff"),
             "资源与需求", ":material/redeem:", writes=("partner_contribution", "claim_item", "project", "project_event")),
    PageSpec("partner_overview", "伙伴合作概况", "pages.res_partners:overview", "partner-overview", ("leader",),
             "资源与需求", ":material/handshake:"),
    PageSpec("res_publicity", "宣传台账", "pages.res_publicity:render", "publicity-ledger", ("admin", "staff"),
             "资源与需求", ":material/campaign:", writes=("publicity",)),
    PageSpec("res_publicity_read", "宣传概况", "pages.res_publicity:overview", "publicity-overview", ("leader",),
             "资源与需求", ":material/campaign:"),
    PageSpec("res_dashboard", "资源与需求总览", "pages.res_dashboard:render", "resources-dashboard",
             ("leader", "admin", "staff"), "领导驾驶舱", ":material/hub:"),
    PageSpec("rounds", "创投批次", "pages.rounds:render", "round-admin", ("admin",), "公益创投",
             ":material/event_note:", writes=("round", "round_quota")),
    PageSpec("users", "用户与角色", "pages.users:render", "accounts", ("admin",), "系统管理",
             ":material/manage_accounts:", writes=("user",)),
    PageSpec("audit", "审计日志", "pages.audit:render", "audit-log", ("admin",), "系统管理", ":material/history:"),
    PageSpec("hubs", "枢纽网络", "pages.hubs:render", "hub-network", ("admin",), "系统管理", ":material/account_tree:",
             writes=("hub", "user")),
    PageSpec("inbox", "消息", "pages.inbox:inbox_page", "messages", ALL_ROLES, "我的账号", ":material/notifications:",
             writes=("notification_pref",)),  # the account's own channels (a row rule), and its messages read
    PageSpec("notify_admin", "提醒设置", "pages.inbox:admin_page", "reminder-rules", ("admin",), "系统管理", ":material/notifications_active:", writes=("notification_rule", "notification_pref")),
    PageSpec("account", "修改密码", "pages.account:render", "my-password", ALL_ROLES, "我的账号",
             ":material/key:", writes=("user",)),
)

ADMIN_MODULE = "core.ui.admin"  # the generic screen of every entity that declares one (core.platform.entities.Screen)


def entity_pages() -> tuple[PageSpec, ...]:
    """The pages of the entities that declare a generic screen, derived from the registry (no line here)."""
    return tuple(PageSpec(admin_key(e.name), s.title, f"{ADMIN_MODULE}:{e.name}", s.url_path, s.roles, s.section,
                          s.icon, writes=(e.name,)) for e in all_entities() if (s := e.screen) is not None)


def admin_key(entity_name: str) -> str:
    """The page key of an entity's generic screen (what ``core.ui.session.require`` checks)."""
    return f"{entity_name}_admin"


PAGES = PAGES + entity_pages()
BY_KEY = {p.key: p for p in PAGES}


def spec(key: str) -> PageSpec | None:
    return BY_KEY.get(key)


def pages_for(roles) -> list[PageSpec]:
    roles = set(roles or ())
    return [p for p in PAGES if roles & set(p.roles)]


def allowed(key: str, roles) -> bool:
    spec = BY_KEY.get(key)
    return bool(spec and set(roles or ()) & set(spec.roles))


def role_label(role: str) -> str:
    return ROLES.get(role, role)
