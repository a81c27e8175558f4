"""Screens. Files here only define functions (nothing runs at import): Home.py registers them with
``st.Page(function, url_path=...)``, and each function checks its own role first."""
