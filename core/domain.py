"""Imports every module that declares entities, so the registry is complete (see core.entities)."""
from core import communities, lockout, organisations, users  # noqa: F401
