"""Admin forms: a reason for the audit trail, the version comparison, a new user, an upload
and its confirmation."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from registry.models import ROLES


class ReasonForm(FlaskForm):
    """Promotion and rollback: the reason goes into the audit trail, so it is required."""

    reason = StringField("Reason", filters=[lambda text: text.strip() if text else text],
                         validators=[DataRequired(message="Say why, for the audit trail."),
                                     Length(max=500)])


class CompareForm(FlaskForm):
    """Two versions to put side by side; read from the query string (a GET changes nothing)."""

    class Meta:
        csrf = False

    a = SelectField("Version A", coerce=int)
    b = SelectField("Version B", coerce=int)


class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "off"})
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"})
    # Least privilege unless the admin chooses otherwise.
    role = SelectField("Role", choices=[SelectChoice(role) for role in ROLES], default="analyst")


class UploadForm(FlaskForm):
    file = FileField("File of labelled rows", validators=[FileRequired("Choose a file.")],
                     render_kw={"accept": ".csv,.tsv,.txt,.jsonl,.ndjson"})


class PendingUploadForm(FlaskForm):
    """Confirm (or cancel) an upload kept as pending: it names the file by its sha256."""

    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    format = HiddenField(validators=[DataRequired(), AnyOf(("csv", "jsonl"))])
    filename = HiddenField(validators=[Length(max=200)])
