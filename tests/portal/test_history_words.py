"""How the history words stored values: the form's labels, choice labels, units, titles."""
from portal.history import words
from usecases import all_usecases


def test_inputs_read_with_the_form_s_labels_and_shown_values(empty_app):
    with empty_app.app_context():
        said = words.Words(all_usecases())
        shown = said.inputs("heart-disease", {"thal": None, "sex": "Female", "age": 54,
                                              "oldpeak": -2.5, "fbs": True, "cp": "made up",
                                              "note": "not a field"})
        glance = said.inputs("heart-disease", {"age": 54, "chol": None}, given_only=True)
        unknown = said.inputs("no-such-use-case", {"x": [1, 2], "y": 0.25})
    # The form's order, then keys that are not fields under their own names.
    assert shown == [("Age", "54 years"), ("Sex", "Female"), ("Chest pain type", "made up"),
                     ("Fasting blood sugar above 120 mg/dl", "yes"), ("ST depression", "-2.5 mm"),
                     ("Thallium stress test", "not given"), ("note", "not a field")]
    assert glance == [("Age", "54 years")]
    assert unknown == [("x", "#1, #2"), ("y", "0.25")]


def test_outputs_and_outcomes_read_by_the_target(empty_app):
    with empty_app.app_context():
        said = words.Words(all_usecases())
        assert said.output("heart-disease", "no disease") == "No heart disease"
        assert said.output("sentiment", "great") == "Five stars"
        assert said.output("student-score", 531.237) == "531.24"
        assert said.output("student-score", 531.0) == "531"
        assert said.outcome("recommendation", {"movie_id": 858, "rating": 4.5}) == \
            "movie_id: 858 · rating: 4.5"
        assert said.chart("heart-disease") == ("Predicted diagnosis", "Diagnosis")
        assert said.chart("student-score") == ("Predicted first-grade math score",
                                               "First-grade math score")
        assert said.chart("recommendation") == ("Top recommendation", "First in the list")
        assert said.label("heart-disease", "disease") == "Heart disease"


def test_without_a_model_to_name_them_movies_keep_their_ids(empty_app):
    with empty_app.app_context():
        said = words.for_labels("recommendation", ["858", "260"])
        assert said.titles == {"recommendation": {}}
        assert said.label("recommendation", "858") == "#858"
        assert said.output("recommendation", [858, 260]) == "#858, #260"


def test_inputs_that_are_not_an_object_are_shown_as_they_are(empty_app):
    with empty_app.app_context():
        said = words.Words(all_usecases())
        assert said.inputs("heart-disease", ["a", 1]) == [("inputs", "a, #1")]
