"""Admin views of a use case's webhooks: register an address (its secret shown once), remove
one, and read every delivery with each attempt's outcome."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import WebhookForm
from portal.admin.routes import usecase_or_404
from registry import webhooks
from registry.versions import NotFound, RegistryError


def render_webhooks(usecase, form: WebhookForm, *, made=None, refusal: str | None = None,
                    status: int = 200):
    hooks = webhooks.listed(usecase.name)
    return render_template("admin/webhooks.html", usecase=usecase, form=form, hooks=hooks,
                           deliveries={h.id: webhooks.deliveries(h, limit=20) for h in hooks},
                           made=made, refusal=refusal), status


@bp.route("/models/<name>/webhooks", methods=["GET", "POST"])
def webhooks_page(name: str):
    usecase = usecase_or_404(name)
    form = WebhookForm()
    if not form.is_submitted():
        return render_webhooks(usecase, WebhookForm(formdata=None))
    if not form.validate():
        return render_webhooks(usecase, form, status=400)
    try:
        made = webhooks.add(name, form.url.data, form.events.data or None,
                            current_user.username)
    except RegistryError as exc:
        return render_webhooks(usecase, form, refusal=str(exc), status=400)
    # The secret is shown in this answer only: never in a flash (the session is a cookie).
    return render_webhooks(usecase, WebhookForm(formdata=None), made=made, status=201)


@bp.post("/models/<name>/webhooks/<int:webhook_id>/remove")
def remove_webhook(name: str, webhook_id: int):
    usecase_or_404(name)
    try:
        webhooks.remove(webhooks.get(name, webhook_id))
    except NotFound:
        abort(404)
    flash("The webhook and its deliveries were removed.")
    return redirect(url_for("admin.webhooks_page", name=name))
