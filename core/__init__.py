"""HubDesk core: data access, the audited write path and business rules.

Nothing in this package imports streamlit, except the UI helpers in ``core.ui``.
"""
