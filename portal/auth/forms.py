"""The login form, and the form to change one's own password."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", validators=[
        DataRequired(), Length(min=8, max=200, message="At least 8 characters.")],
        render_kw={"autocomplete": "new-password"})
    again = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"})
