"""孵化与能力建设: lifecycle and ratings, trainings, mentoring, capability assessments, the organisation's growth record. Imports the platform and the areas below (orgs, intake, review, monitoring)."""
