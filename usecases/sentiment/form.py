"""The one input a person gives (a review's text), and worked examples written for the form."""
from __future__ import annotations

from typing import Any

from usecases.fields import Field, Text

MAX_REVIEW = 5000  # the longest review in the data has 4,913 characters

FIELDS: tuple[Field, ...] = (
    Text("review", "Review",
         "A food product review in English, as a customer would write it (a sentence to a few "
         "paragraphs; HTML such as <br /> is removed before reading).",
         max_length=MAX_REVIEW,
         placeholder="e.g. The coffee arrived fresh and tastes wonderful, but the bag is small."),
)

EXAMPLES: dict[str, dict[str, Any]] = {
    "Glowing: a tea the reviewer reorders": {
        "review": "I have tried a lot of green teas and this one is simply the best. The flavor "
                  "is smooth and fresh, never bitter, even when I forget the bag in the cup. "
                  "It arrived quickly and well packed.<br /><br />My whole family loves it and "
                  "I have already ordered two more boxes. Highly recommended!"},
    "Disappointed: stale crackers, poor packaging": {
        "review": "I was really looking forward to these crackers but they were a big letdown. "
                  "Half the box arrived crushed and the rest tasted stale, like cardboard. I "
                  "would not buy them again; save your money and get them at the store."},
    "Mixed: good coffee, too expensive": {
        "review": "The coffee itself is good, a nice medium roast without any burnt taste. "
                  "However, the price has gone up a lot and a few pods leaked in the machine. "
                  "It's okay, but I am not sure it is worth it anymore."},
}
