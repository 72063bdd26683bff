"""Admin views of users: list, create, and issue or revoke an API token."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from portal.admin import bp
from portal.admin.forms import UserForm
from registry import users as registry_users


def render_users(form: UserForm, status: int = 200):
    """The users and the form to add one (re-shown with its errors after a refused one)."""
    return render_template("admin/users.html", users=registry_users.list_users(),
                           form=form), status


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
