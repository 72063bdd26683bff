"""Screenshots compared with reviewed references, pixel by pixel, with a small tolerance.

A reference is a PNG in tests/e2e/references/, looked at by a person before it was committed.
A test takes the same screenshot (of one element, so the rest of the page cannot disturb it)
and fails when more than TOLERANCE of its pixels differ visibly from the reference's, or when
the sizes differ; the failure names the actual screenshot and a picture of the differences
(changed pixels in red), both written beside the other screenshots.

References change on purpose only: run the browser tests with UPDATE_SCREENSHOTS=1,
look at the new PNGs, and commit them with the change that explains them.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageChops

from tests.e2e.conftest import SCREENSHOTS

REFERENCES = Path(__file__).resolve().parent / "references"
# Of the pixels, those that may differ (anti-aliasing, font hinting): a bar recoloured or
# moved changes more than this.
TOLERANCE = 0.001
VISIBLE = 48          # a channel difference (of 255) that a person would see


def assert_looks_like(element, name: str) -> None:
    """`element`'s screenshot matches references/<name>.png (or becomes it, when updating)."""
    actual = Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB")
    reference_path = REFERENCES / f"{name}.png"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        REFERENCES.mkdir(exist_ok=True)
        actual.save(reference_path, optimize=True)
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    actual_path = SCREENSHOTS / f"{name}.actual.png"
    actual.save(actual_path)
    assert reference_path.exists(), (
        f"no reference for {name}: look at {actual_path}, then run with "
        "UPDATE_SCREENSHOTS=1 to make it one")
    reference = Image.open(reference_path).convert("RGB")
    assert actual.size == reference.size, (
        f"{name}: the screenshot is {actual.size[0]}x{actual.size[1]} pixels, the reference "
        f"{reference.size[0]}x{reference.size[1]}; see {actual_path}")
    difference = ImageChops.difference(actual, reference)
    # A pixel differs visibly when any of its channels does.
    visible = difference.point(lambda value: 255 if value > VISIBLE else 0).convert("L")
    changed = actual.size[0] * actual.size[1] - visible.histogram()[0]
    share = changed / (actual.size[0] * actual.size[1])
    if share > TOLERANCE:
        marked = Image.composite(Image.new("RGB", actual.size, (255, 0, 0)),
                                 actual.convert("L").convert("RGB"), visible)
        diff_path = SCREENSHOTS / f"{name}.diff.png"
        marked.save(diff_path)
        raise AssertionError(
            f"{name}: {share:.2%} of the pixels differ visibly from the reference (at most "
            f"{TOLERANCE:.1%} may); actual {actual_path}, differences in red {diff_path}, "
            f"reference {reference_path}")
