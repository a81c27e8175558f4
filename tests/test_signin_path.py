"""What a sign-in costs and checks (issue 17): streamlit-authenticator checks the password (bcrypt against the one
account's stored hash), imported at a sign-in, not by the gate every page loads."""
from __future__ import annotations

import subprocess
import sys

from tests.apptest_helpers import app, plain
from tests.test_app_auth import PASSWORDS, _login


def test_the_sign_in_gate_loads_without_streamlit_authenticator():
    """Its import (0.25-0.5 s measured on this machine) was paid by the first page a fresh server answered;
    it is imported when someone signs in."""
    code = ("import sys; import core.ui.auth; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit_authenticator', "
            "'extra_streamlit_components')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_sign_in_outcomes_of_the_password_check(demo_db, monkeypatch):
    from streamlit_authenticator.controllers import AuthenticationController

    checked = []
    real = AuthenticationController.login
    monkeypatch.setattr(AuthenticationController, "login",
                        lambda self, *a, **k: checked.append(a[0]) or real(self, *a, **k))
    # the typed password's surrounding spaces do not count (as in the authenticator's check: the password
    # rules refuse such spaces, so no stored password has them)
    at = _login(app().run(), "staff", f"  {PASSWORDS['staff']} ")
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert checked == ["staff"]  # the authenticator's check, over the one account signing in
    # another account's password, and a password past bcrypt's 72 bytes: refused, no traceback
    for password in (PASSWORDS["admin"], PASSWORDS["admin"] + "x" * 80):
        at = _login(app().run(), "admin" if len(password) > 72 else "staff", password)
        assert not at.exception
        assert not at.session_state["authentication_status"]
        assert "用户名或密码不正确" in "\n".join(plain(e.value) for e in at.error)
