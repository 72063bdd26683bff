"""The heart disease inputs a person fills in, and worked examples.

Only age, sex and chest pain are required: every other input was left unmeasured for many patients
in the data (vessels for 611 of 920, thallium for 486), so a visitor may leave them unknown too.
Ranges are the data's ranges with a margin. Choice values are the data's own codes.
"""
from __future__ import annotations

from typing import Any

from usecases.fields import Boolean, Choice, Field, Number

UNKNOWN_HELP = "Leave blank if unknown."

FIELDS: tuple[Field, ...] = (
    Number("age", "Age", "Age in whole years (28 to 77 in the data).",
           minimum=18, maximum=100, unit="years", integer=True),
    Choice("sex", "Sex", "Sex recorded by the clinic.",
           choices=(("Male", "Male"), ("Female", "Female"))),
    Choice("cp", "Chest pain type", "The kind of chest pain the patient reports.",
           choices=(("typical angina", "Typical angina"),
                    ("atypical angina", "Atypical angina"),
                    ("non-anginal", "Non-anginal pain"),
                    ("asymptomatic", "No chest pain (asymptomatic)"))),
    Number("trestbps", "Resting blood pressure",
           "Systolic pressure at rest, on admission. " + UNKNOWN_HELP,
           required=False, minimum=60, maximum=250, unit="mm Hg", integer=True),
    Number("chol", "Serum cholesterol", "Total cholesterol in the blood. " + UNKNOWN_HELP,
           required=False, minimum=50, maximum=700, unit="mg/dl", integer=True),
    Boolean("fbs", "Fasting blood sugar above 120 mg/dl",
            "Whether fasting blood sugar exceeds 120 mg/dl. " + UNKNOWN_HELP, required=False),
    Choice("restecg", "Resting ECG", "Result of the electrocardiogram at rest. " + UNKNOWN_HELP,
           required=False,
           choices=(("normal", "Normal"),
                    ("st-t abnormality", "ST-T wave abnormality"),
                    ("lv hypertrophy", "Left ventricular hypertrophy"))),
    Number("thalch", "Maximum heart rate", "Highest heart rate reached in the exercise test. "
           + UNKNOWN_HELP, required=False, minimum=50, maximum=230, unit="bpm", integer=True),
    Boolean("exang", "Angina during exercise",
            "Whether the exercise test brought on chest pain. " + UNKNOWN_HELP, required=False),
    Number("oldpeak", "ST depression", "ST-segment depression induced by exercise, relative to "
           "rest (negative for an elevation). " + UNKNOWN_HELP,
           required=False, minimum=-3, maximum=8, unit="mm", step=0.1),
    Choice("slope", "Slope of the peak exercise ST segment", UNKNOWN_HELP, required=False,
           choices=(("upsloping", "Upsloping"), ("flat", "Flat"),
                    ("downsloping", "Downsloping"))),
    Number("ca", "Major vessels seen by fluoroscopy",
           "Number of major vessels (0 to 3) coloured by fluoroscopy. " + UNKNOWN_HELP,
           required=False, minimum=0, maximum=3, integer=True),
    Choice("thal", "Thallium stress test", "Result of the thallium scan. " + UNKNOWN_HELP,
           required=False,
           choices=(("normal", "Normal"), ("fixed defect", "Fixed defect"),
                    ("reversable defect", "Reversible defect"))),
)

EXAMPLES: dict[str, dict[str, Any]] = {
    "Man, 67, no chest pain, abnormal exercise test": {
        "age": 67, "sex": "Male", "cp": "asymptomatic", "trestbps": 160, "chol": 286,
        "fbs": False, "restecg": "lv hypertrophy", "thalch": 108, "exang": True, "oldpeak": 1.5,
        "slope": "flat", "ca": 3, "thal": "normal"},
    "Woman, 41, atypical angina, normal tests": {
        "age": 41, "sex": "Female", "cp": "atypical angina", "trestbps": 130, "chol": 204,
        "fbs": False, "restecg": "lv hypertrophy", "thalch": 172, "exang": False,
        "oldpeak": 1.4, "slope": "upsloping", "ca": 0, "thal": "normal"},
    "Man, 55, non-anginal pain, only the basics known": {
        "age": 55, "sex": "Male", "cp": "non-anginal", "trestbps": 140, "chol": 230,
        "fbs": None, "restecg": "normal", "thalch": None, "exang": None, "oldpeak": None,
        "slope": None, "ca": None, "thal": None},
}


def shown_value(field: Field, value: Any) -> str:
    """An input as a person reads it: choice labels, units, "not given" for unknown."""
    if value is None:
        return "not given"
    if isinstance(field, Choice):
        return field.labels.get(value, str(value))
    if isinstance(field, Boolean):
        return "yes" if value else "no"
    if isinstance(field, Number):
        return f"{value:g} {field.unit}".strip()
    return str(value)
