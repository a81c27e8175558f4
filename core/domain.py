"""The choice lists whose options live in the database, installed at start-up (the list of entities is
``core.registry``)."""
from core.incubation import mentoring, trainings
from core.intake import applications, rounds
from core.monitoring import brands, projects
from core.orgs import communities, hubs, organisations
from core.resources import bookings
from core.resources import volunteers
from core.resources import beneficiaries
from core.resources import partners
from core.resources import surveys
from core.review import reviewers


def install_providers() -> None:
    """Choice lists that live in the database (communities, organisations, rounds ...): each module declares
    its lists with :func:`core.platform.lookups.id_names`."""
    communities.install_provider()
    hubs.install_provider()
    organisations.install_providers()
    rounds.install_providers()
    applications.install_providers()
    reviewers.install_providers()
    trainings.install_providers()
    mentoring.install_providers()
    brands.install_providers()
    projects.install_providers()
    partners.install_providers()
    volunteers.install_providers()
    beneficiaries.install_providers()
    bookings.install_providers()
    surveys.install_providers()
