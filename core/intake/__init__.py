"""创投批次与申报: rounds and their rubrics, the 金点子 pool, applications and their workflow, the blind-review mask. Imports the platform and ``core.orgs``."""
