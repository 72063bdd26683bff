"""Admin forms: a reason for the audit trail, a challenger, the version comparison, a new user,
training data, an upload and its confirmation, a model card's sections."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, FloatField, HiddenField, IntegerField, PasswordField,
                     SelectChoice,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from registry.cards import MAX_SECTION
from registry.models import ROLES
from registry.webhooks import EVENTS as WEBHOOK_EVENTS


class ReasonForm(FlaskForm):
    """Promotion and rollback: the reason goes into the audit trail, so it is required."""

    reason = StringField("Reason", filters=[lambda text: text.strip() if text else text],
                         validators=[DataRequired(message="Say why, for the audit trail."),
                                     Length(max=500)])


class PromoteForm(ReasonForm):
    """A promotion: the reason, and when the use case's policy is not met, the choice to go
    against it (marked in the audit trail)."""

    override = BooleanField("Promote against the promotion policy")


class WholeNumberField(IntegerField):
    """A whole number in ASCII digits, at most 18 of them. int() alone also takes other
    scripts' digits and underscores, and numbers too long for a range check to compare."""

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        if raw and not re.fullmatch(r"[+-]?[0-9]{1,18}", raw):
            self.data = None
            raise ValueError("Give a whole number.")
        super().process_formdata(valuelist)


class PolicyForm(FlaskForm):
    """What a candidate must show on live traffic before it is promoted."""

    min_labelled = WholeNumberField("Labelled predictions scored as challenger, at least",
                                default=200, validators=[
                                    InputRequired(message="Give a whole number."),
                                    NumberRange(min=0, max=1_000_000,
                                                message="From 0 to 1,000,000.")])
    not_worse = BooleanField("Live primary metric not worse than production's beyond its "
                             "interval", default=True)


class WebhookForm(FlaskForm):
    """An address to send a use case's events to, and which events."""

    url = StringField("Address", filters=[lambda text: text.strip() if text else text],
                      validators=[DataRequired(message="Give an http:// or https:// address."),
                                  Length(max=500)],
                      render_kw={"placeholder": "https://example.org/model-hub-events"})
    events = SelectMultipleField("Events (none ticked: all)",
                                 choices=[SelectChoice(e) for e in WEBHOOK_EVENTS],
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())


class ChallengerForm(FlaskForm):
    """A version to score a share of live predictions beside production."""

    version = SelectField("Version", coerce=int)
    share = FloatField("Share of live predictions", default=0.25,
                       validators=[InputRequired(message="Give a fraction from 0 to 1."),
                                   NumberRange(min=0, max=1,
                                               message="Give a fraction from 0 to 1.")],
                       description="From 0 to 1: 0.25 is one prediction in four; 1 is all.")


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


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role) for role in ROLES])


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", validators=[
        DataRequired(message="Give the new password."), Length(min=8, max=200)],
        render_kw={"autocomplete": "new-password"})


BUILT_IN = "built-in"  # the training choice of the built-in data before it is registered


def dataset_choice(value: str | int) -> str | int:
    """A ticked dataset: its id, or BUILT_IN; anything else is not a choice (ValueError)."""
    return value if value == BUILT_IN else int(value)


class TrainForm(FlaskForm):
    """What a new version trains on. The registry, not the form, decides which dataset ids may
    be trained on (archived or unknown ones are refused there, with its own words)."""

    datasets = SelectMultipleField("Data to train on", coerce=dataset_choice,
                                   validate_choice=False,
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    include_outcomes = BooleanField("Include the recorded outcomes")


class UploadForm(FlaskForm):
    file = FileField("File of labelled rows", validators=[FileRequired("Choose a file.")],
                     render_kw={"accept": ".csv,.tsv,.txt,.jsonl,.ndjson"})


class PendingUploadForm(FlaskForm):
    """Confirm (or cancel) an upload kept as pending: it names the file by its sha256."""

    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    format = HiddenField(validators=[DataRequired(), AnyOf(("csv", "jsonl"))])
    filename = HiddenField(validators=[Length(max=200)])


class CardForm(FlaskForm):
    """The sections of a version's model card an admin writes (blank: not shown)."""

    intended_use = TextAreaField("Intended use", validators=[Length(max=MAX_SECTION)])
    out_of_scope = TextAreaField("Out-of-scope uses", validators=[Length(max=MAX_SECTION)])
    limitations = TextAreaField("Limitations", validators=[Length(max=MAX_SECTION)])
    ethical_considerations = TextAreaField("Ethical considerations",
                                           validators=[Length(max=MAX_SECTION)])
