"""Admin views of users: list, create, disable or enable, change a role, reset a password, and
issue or revoke an API token. Each change but a token's ends the user's sessions."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal.admin import bp
from portal.admin.forms import PasswordResetForm, RoleForm, UserForm
from registry import users as registry_users
from registry.models import ROLES


def render_users(form: UserForm, status: int = 200):
    """The users and the form to add one (re-shown with its errors after a refused one)."""
    return render_template("admin/users.html", users=registry_users.list_users(),
                           form=form, roles=ROLES), status


@bp.get("/users")
def users():
    """Every user, their API token's state, and a form to add a user."""
    return render_users(UserForm(formdata=None))


@bp.post("/users")
def create_user():
    """Create an admin or an analyst; a refusal is shown next to the field it is about."""
    form = UserForm()
    if not form.validate_on_submit():
        return render_users(form, 400)
    try:
        created = registry_users.create_user(form.username.data, form.password.data,
                                             form.role.data)
    except registry_users.UserError as exc:
        message = str(exc)
        field = next((f for f in (form.password, form.role) if message.startswith(f.name)),
                     form.username)
        field.errors.append(message)
        return render_users(form, 400)
    flash(f"Created {created.role} {created.username}.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/token")
def issue_token(user_id: int):
    """A new API token (the old one stops working), shown on this page once and never again."""
    user = registry_users.get_user(user_id) or abort(404)
    token = registry_users.issue_token(user)
    page = render_template("admin/token.html", user=user, token=token)
    # Neither the browser's cache nor a proxy may keep the page that shows the secret.
    return page, 200, {"Cache-Control": "no-store"}


@bp.post("/users/<int:user_id>/token/revoke")
def revoke_token(user_id: int):
    """Stop the user's API token from working (the user can still sign in to the pages)."""
    user = registry_users.get_user(user_id) or abort(404)
    registry_users.revoke_token(user)
    flash(f"The API token of {user.username} no longer works.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    """No sign-in and no API token for this user until enabled again; their sessions end."""
    return _change(user_id, lambda user: registry_users.set_disabled(user, True),
                   "{} is disabled and signed out everywhere.")


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    return _change(user_id, lambda user: registry_users.set_disabled(user, False),
                   "{} may sign in again.")


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role: " + ", ".join(choice for choice, *_ in form.role.choices) + ".")
        return redirect(url_for("admin.users")), 303
    return _change(user_id, lambda user: registry_users.set_role(user, form.role.data),
                   "{} is now " + form.role.data + "; their sessions ended.")


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    form = PasswordResetForm()
    if not form.validate_on_submit():
        flash("The new password must be 8 to 200 characters.")
        return redirect(url_for("admin.users")), 303
    return _change(user_id, lambda user: registry_users.set_password(user, form.password.data),
                   "{} has a new password; their sessions ended.")


def _change(user_id: int, change, done: str):
    """Apply `change` to the user, then show the list with what happened (or why not)."""
    user = registry_users.get_user(user_id) or abort(404)
    try:
        change(user)
    except registry_users.UserError as exc:
        flash(f"{user.username}: {exc}.")
        return redirect(url_for("admin.users")), 303
    flash(done.format(user.username))
    return redirect(url_for("admin.users")), 303
