"""Streamlit helpers shared by the screens: the auth gate, role checks, the schema form engine and
the generic list view. The only part of ``core`` that imports streamlit."""
