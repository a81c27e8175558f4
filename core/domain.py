"""Imports every module that declares entities, so the registry is complete (see core.entities)."""
from core import (  # noqa: F401
    applications, assessments, assignment, brands, communities, consolidation, decisions, documents, evaluations, ideas,
    ledger, lifecycle, lockout, mentoring, money, monitoring_policy, organisations, projects, reviewers, reviews, risks,
    rounds, rubrics, security, sessions, trainings, users, workflow,
)


def install_providers() -> None:
    """Choice lists that live in the database (communities, organisations, rounds)."""
    communities.install_provider()
    organisations.install_providers()
    rounds.install_providers()
    applications.install_providers()
    reviewers.install_providers()
    trainings.install_providers()
    mentoring.install_providers()
    brands.install_providers()
    projects.install_providers()
