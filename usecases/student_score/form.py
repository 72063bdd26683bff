"""The student score inputs a person fills in, and worked examples.

Choice values are the data's own codes, with labels a person reads. Free lunch, the teacher's
career ladder level and the teacher's ethnicity are missing for some pupils in the data too, so a
visitor may leave them unknown (the model then counts the usual mix of answers); the rest are
needed. Number ranges are the data's ranges.
"""
from __future__ import annotations

from typing import Any

from usecases.fields import Choice, Field, Number

UNKNOWN_HELP = "Leave blank if unknown."

FIELDS: tuple[Field, ...] = (
    Choice("gender", "Gender", "The pupil's gender.",
           choices=(("female", "Girl"), ("male", "Boy"))),
    Choice("ethnicity", "Ethnicity", "The pupil's ethnicity. Asian, Hispanic, American Indian "
           "and other pupils are few in the data (43 of 6,379), so the model pools them.",
           choices=(("cauc", "White"), ("afam", "African American"), ("asian", "Asian"),
                    ("hispanic", "Hispanic"), ("amindian", "American Indian"),
                    ("other", "Other"))),
    Number("read1", "First-grade reading score", "Total scaled reading score on the Stanford "
           "Achievement Test in first grade (404 to 651 in the data).",
           minimum=404, maximum=651, unit="points", integer=True),
    Choice("lunch1", "School lunch", "Whether the pupil got free lunch, a sign of family "
           "income. " + UNKNOWN_HELP, required=False,
           choices=(("free", "Free lunch"), ("non-free", "Pays for lunch"))),
    Choice("star1", "Class type", "The class the pupil was randomly assigned to in first grade.",
           choices=(("small", "Small class (13 to 17 pupils)"),
                    ("regular", "Regular class (22 to 25 pupils)"),
                    ("regular+aide", "Regular class with a teacher's aide"))),
    Choice("school1", "School location", "Where the school is.",
           choices=(("inner-city", "Inner city"), ("suburban", "Suburban"),
                    ("rural", "Rural"), ("urban", "Urban"))),
    Choice("degree1", "Teacher's highest degree", "The first-grade teacher's highest degree.",
           choices=(("bachelor", "Bachelor's"), ("master", "Master's"),
                    ("specialist", "Specialist"), ("phd", "Doctorate (PhD)"))),
    Choice("ladder1", "Teacher's career ladder", "The teacher's step on Tennessee's career ladder. "
           + UNKNOWN_HELP, required=False,
           choices=(("notladder", "Not on the ladder"), ("apprentice", "Apprentice"),
                    ("probation", "Probation"), ("level1", "Level 1"), ("level2", "Level 2"),
                    ("level3", "Level 3"))),
    Number("experience1", "Teacher's experience", "Years the teacher had taught "
           "(0 to 42 in the data).", minimum=0, maximum=42, unit="years", integer=True),
    Choice("tethnicity1", "Teacher's ethnicity", "The teacher's ethnicity. " + UNKNOWN_HELP,
           required=False, choices=(("cauc", "White"), ("afam", "African American"))),
)

EXAMPLES: dict[str, dict[str, Any]] = {
    "Strong reader in a small rural class": {
        "gender": "female", "ethnicity": "cauc", "read1": 580, "lunch1": "non-free",
        "star1": "small", "school1": "rural", "degree1": "master", "ladder1": "level1",
        "experience1": 15, "tethnicity1": "cauc"},
    "Struggling reader on free lunch, inner-city regular class": {
        "gender": "male", "ethnicity": "afam", "read1": 450, "lunch1": "free",
        "star1": "regular", "school1": "inner-city", "degree1": "bachelor",
        "ladder1": "apprentice", "experience1": 3, "tethnicity1": "afam"},
    "Average reader, suburban class with an aide, some facts unknown": {
        "gender": "male", "ethnicity": "cauc", "read1": 515, "lunch1": None,
        "star1": "regular+aide", "school1": "suburban", "degree1": "bachelor", "ladder1": None,
        "experience1": 10, "tethnicity1": None},
}


def shown_value(field: Field, value: Any) -> str:
    """An input as a person reads it: choice labels, units, "not given" for unknown."""
    if value is None:
        return "not given"
    if isinstance(field, Choice):
        return dict(field.choices).get(value, str(value))
    if isinstance(field, Number):
        return f"{value:g} {field.unit}".strip()
    return str(value)
