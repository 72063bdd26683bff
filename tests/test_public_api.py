"""The product uses the frameworks' public API: no private attribute (one leading underscore)
of code we did not write is read, called or overridden, unless it is listed below with the
figure that pays for it and the test that fails when the framework changes underneath."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "registry", "usecases")

# attribute -> where it is used and why it is kept.
KEPT = {
    "_but_check": "usecases/sentiment/vader.py: VADER 4.2x as fast; tests/usecases/"
                  "test_sentiment.py compares with NLTK's polarity_scores on every review",
}


def sources() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def defined_here(trees: list[ast.Module]) -> set[str]:
    """Every name our own code defines: functions, classes, attributes it sets, variables."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name)
    return names


def test_no_private_attribute_of_a_framework_is_used():
    trees = sources()
    # A method we define that a framework also defines privately is an override: compare
    # with what the frameworks' classes we subclass hold.
    ours = defined_here(list(trees.values()))
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and node.attr not in ours
                    and node.attr not in KEPT):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not found, "private framework attributes used:\n" + "\n".join(found)


def test_no_framework_method_is_overridden_privately():
    """A class of ours that defines `_name` where a base class from a library has it too
    overrides a private method (as a subclass of Flask-Login's LoginManager once did)."""
    import importlib
    found = []
    for path, tree in sources().items():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            cls = getattr(importlib.import_module(module.removesuffix(".__init__")),
                          node.name, None)
            if not isinstance(cls, type):
                continue
            foreign = [base for base in cls.__mro__[1:]
                       if not base.__module__.startswith(PACKAGES) and base is not object]
            for item in node.body:
                if (isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and item.name.startswith("_") and not item.name.startswith("__")
                        and any(item.name in vars(base) for base in foreign)):
                    found.append(f"{path.relative_to(ROOT)}:{item.lineno} "
                                 f"{node.name}.{item.name}")
    assert not found, "private framework methods overridden:\n" + "\n".join(found)


def test_the_kept_list_names_only_attributes_still_used():
    text = "\n".join(path.read_text() for path in sources())
    assert all(f".{name}" in text for name in KEPT)
