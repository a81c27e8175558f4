"""专家评审: the expert pool and conflicts, assignment, the reviewer's scoring, consolidation, decisions and 公示. Imports the platform, ``core.orgs`` and ``core.intake``."""
