"""Login and logout views."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import LoginForm, PasswordForm
from registry import logins, users
from registry.models import ROLES


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: a login link must not lead elsewhere,
    nor carry control, line-break or invisible direction characters into a Location header."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or not target.isprintable():
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def landing_page() -> str:
    """Where a signed-in user goes by default: admins to the models, analysts to the history."""
    return url_for("admin.index" if current_user.is_admin else "history.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on a good name and password sign in and go back where asked.

    Repeated failures lock the name out (from that address) for a while, and slow the address
    down: 429 with Retry-After.
    """
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or landing_page())
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    attempt = logins.sign_in(form.username.data, form.password.data, request.remote_addr)
    if attempt.wait_seconds:
        return render_template("auth/login.html", form=form,
                               wait_seconds=attempt.wait_seconds), \
            429, {"Retry-After": str(attempt.wait_seconds)}
    if attempt.user is None:
        return render_template("auth/login.html", form=form,
                               failed="Unknown username or wrong password."), 401
    login_user(attempt.user)
    return redirect(safe_next(request.args.get("next")) or landing_page())


@bp.post("/logout")
def logout():
    """Sign out, everywhere: every session of this user ends, including a copy of this
    one's cookie (a POST with the CSRF token, so another site cannot sign people out)."""
    if current_user.is_authenticated:
        users.end_sessions(current_user)
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("main.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every session, this one included, then ends."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400 if form.errors else 200
    if not current_user.check_password(form.current.data):
        form.current.errors.append("This is not your current password.")
        return render_template("auth/password.html", form=form), 400
    users.set_password(current_user, form.password.data)
    logout_user()
    flash("Your password is changed. Sign in with the new one.")
    return redirect(url_for("auth.login"))


change_password.roles = ROLES  # type: ignore[attr-defined]  # any signed-in user
