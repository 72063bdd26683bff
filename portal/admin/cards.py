"""Admin view of a model card: writing a version's sections (intended use, limitations...)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import CardForm
from portal.admin.routes import usecase_or_404
from registry import cards, versions


@bp.route("/models/<name>/versions/<int:version>/card", methods=["GET", "POST"])
def edit_card(name: str, version: int):
    """The form of a version's written sections, filled with what its card shows now (an
    earlier version's when carried over); saving gives the version sections of its own."""
    usecase = usecase_or_404(name)
    try:
        row = versions.get_version(name, version)
    except versions.NotFound:
        abort(404)
    written = cards.written_sections(row)
    form = CardForm(data=written["sections"] or cards.default_sections(usecase))
    if form.validate_on_submit():
        cards.edit_sections(row, {key: getattr(form, key).data or "" for key in cards.SECTIONS},
                            actor=current_user.username)
        flash(f"The model card of v{version} was saved.")
        return redirect(url_for("main.model_card", name=name, version=version))
    return render_template("admin/card.html", usecase=usecase, version=row, form=form,
                           written=written), 422 if form.errors else 200
