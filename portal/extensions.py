"""Flask extensions of the portal, created once here and bound in the factory."""
from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_wtf import CSRFProtect

login = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login.init_app(app)
    csrf.init_app(app)
    login.login_view = "auth.login"

    @login.user_loader
    def load_user(user_id: str):
        from registry.database import db
        from registry.models import User

        return db.session.get(User, int(user_id)) if user_id.isdigit() else None
