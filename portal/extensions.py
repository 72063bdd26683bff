"""Flask extensions of the portal, created once here and bound in the factory."""
from __future__ import annotations

import flask_login
from flask import Flask, request
from flask_wtf import CSRFProtect

from portal.sessions import COOKIELESS_PREFIX


login = flask_login.LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login.init_app(app)
    # Flask-WTF's own check runs on every request and looks up the view's exemptions each time;
    # ours (below) skips the cookieless API at once. WTF_CSRF_ENABLED still switches both.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    login.login_view = "auth.login"

    @app.before_request
    def check_csrf_token() -> None:
        """Every state-changing request of the pages must carry its form's token. The API takes
        bearer tokens and never a cookie, so a forged cross-site request has nothing to ride on."""
        if app.config["WTF_CSRF_ENABLED"] and not request.path.startswith(COOKIELESS_PREFIX):
            csrf.protect(apply_exemptions=True)

    @login.user_loader
    def load_user(user_id: str):
        from registry import users

        return users.load_session_user(user_id)
