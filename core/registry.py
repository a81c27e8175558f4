"""The registry of entities: every table the write path writes, listed once, by hand (the ``admin.site`` of HubDesk).

A domain module declares its entities (``core.platform.entities.Entity``); this list names them. It sits above every
domain module: it imports them, none of them imports it, so the list is whole the moment it is imported (no
registration by import side effect) and no import cycle runs through it. A new entity is one line here; the
start-up checks (``core.checks``, ``entity.E001``) name an entity declared but left out.

Readers: the start-up checks, the audit log (``core.ui.auditlog``), the access matrix and the schema tests.
"""
from __future__ import annotations

from core.documents import annual
from core.incubation import assessments, lifecycle, mentoring, trainings
from core.intake import applications, ideas, rounds, rubrics, workflow
from core.monitoring import brands, evaluations, ledger, money, monitoring_policy, projects, risks
from core.orgs import communities, hubs, organisations, venues
from core.platform import documents, lockout, security, sessions, users
from core.platform.entities import Entity
from core.resources import partners
from core.resources import bookings
from core.resources import needs
from core.resources import volunteers
from core.resources import publicity
from core.resources import beneficiaries
from core.resources import surveys
from core.notify import rules as notify_rules
from core.review import assignment, consolidation, decisions, reviewers, reviews

ENTITIES: tuple[Entity, ...] = (
    # platform: accounts, sign-in, the security log, shared files, the communities list
    users.USER,
    sessions.SESSION,
    lockout.LOGIN_ATTEMPT,
    security.EVENT,
    documents.DOCUMENT,
    communities.COMMUNITY,
    hubs.HUB,
    # organisations
    organisations.ORGANISATION,
    # rounds and intake
    rounds.ROUND,
    rounds.QUOTA,
    rubrics.CRITERION,
    ideas.IDEA,
    applications.APPLICATION,
    applications.MILESTONE,
    applications.SCREENING,
    workflow.EVENT,
    decisions.OBJECTION,
    # review
    reviewers.PROFILE,
    reviewers.AFFILIATION,
    assignment.ASSIGNMENT,
    reviews.REVIEW,
    reviews.SCORE,
    consolidation.OVERRIDE,
    consolidation.FLAG_RESOLUTION,
    # incubation and capacity building
    lifecycle.STAGE_CHANGE,
    lifecycle.INCUBATION_DECISION,
    lifecycle.RATING,
    mentoring.MENTOR,
    mentoring.PAIRING,
    mentoring.SESSION,
    mentoring.ACTION,
    trainings.TRAINING,
    trainings.ATTENDANCE,
    trainings.FEEDBACK,
    assessments.INSTRUMENT,
    assessments.DIMENSION,
    assessments.INDICATOR,
    assessments.ASSESSMENT,
    assessments.SCORE,
    assessments.SUPPORT,
    # monitoring
    projects.PROJECT,
    projects.PROJECT_MILESTONE,
    projects.PROJECT_EVENT,
    projects.TRANCHE,
    money.EXPENSE,
    evaluations.EVALUATION,
    ledger.ACTIVITY,
    risks.RISK_ACK,
    risks.RISK_SETTING,
    monitoring_policy.POLICY,
    brands.BRAND,
    brands.SERVICE_POINT,
    # documents: what staff write into the annual report
    annual.ANNUAL_REPORT,
    # resources
    venues.VENUE,
    partners.PARTNER, partners.CONTRIBUTION, partners.CLAIM_ITEM,
    volunteers.VOLUNTEER, volunteers.CALL, volunteers.SIGNUP, volunteers.SERVICE,
    bookings.EQUIPMENT,
    bookings.BOOKING,
    needs.NEED, needs.NEED_EVENT, needs.NEED_LINK,
    notify_rules.RULE_SETTING, notify_rules.PREF,
    publicity.PUBLICITY,
    beneficiaries.PROJECT_STAFF, beneficiaries.BENEFICIARY, beneficiaries.ENROLMENT, beneficiaries.ATTENDANCE,
    surveys.SURVEY, surveys.QUESTION, surveys.RESPONSE, surveys.ANSWER,
)


def all_entities() -> list[Entity]:
    return list(ENTITIES)

