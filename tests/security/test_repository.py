"""No secret in the repository, and a secret key made per installation."""
from __future__ import annotations

import math
import re
import stat
import subprocess
from collections import Counter
from pathlib import Path

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
# Runtime data the instance folder holds (database, artifacts, key, logs); only these two ship.
INSTANCE_KEEPS = {"instance/.gitkeep", "instance/README.md"}
DATA_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db-wal", ".db-shm", ".joblib", ".pkl",
                 ".pickle", ".npy", ".npz", ".pem", ".key", ".p12", ".pfx", ".env")
KEY_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Model Hub API token": re.compile(r"\bmh_[A-Za-z0-9_-]{40,}"),
}
# Long runs of key-like characters; random ones are told from words and digests by entropy.
CANDIDATE = re.compile(r"[A-Za-z0-9+/_=-]{32,}")
HEX = re.compile(r"[0-9a-fA-F]+")


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode()
    return [name for name in listed.split("\0") if name]


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(word: str) -> bool:
    """A hex run of 40+ characters (a key or a digest pasted in), or a run mixing digits and
    both cases with nearly the entropy of random characters of its length (identifiers, paths
    and words_with_underscores have far less)."""
    if word.startswith(("sha512-", "sha384-", "sha256-")):
        return False  # a package's integrity digest (a lock file's Subresource Integrity string)
    if HEX.fullmatch(word):
        return len(word) >= 40 and entropy(word) > 3.2 and not is_commit(word)
    if word.count("/") >= 3:  # a path or URL: base64 has a slash about every 64 characters
        return False
    mixed = any(c.isdigit() for c in word) and any(c.isupper() for c in word) and \
        any(c.islower() for c in word)
    return mixed and entropy(word) > 0.8 * math.log2(min(len(word), 64))


def is_commit(word: str) -> bool:
    """Whether a 40-character hex run names a commit of this repository (a note citing it)."""
    return len(word) == 40 and subprocess.run(
        ["git", "cat-file", "-e", f"{word}^{{commit}}"], cwd=ROOT, capture_output=True
    ).returncode == 0


def test_no_runtime_data_is_tracked():
    files = tracked_files()
    assert "README.md" in files  # the listing worked
    assert {f for f in files if f.startswith("instance/")} <= INSTANCE_KEEPS
    assert not [f for f in files if Path(f).name == "secret_key" or f.endswith(DATA_SUFFIXES)]


def test_no_key_looking_string_is_tracked():
    found = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree
            continue
        data = path.read_bytes()
        if b"\0" in data:  # a binary file (an image): nothing to read
            continue
        text = data.decode("utf-8", errors="replace")
        found += [f"{name}: {kind}" for kind, pattern in KEY_PATTERNS.items()
                  if pattern.search(text)]
        found += [f"{name}: {word[:12]}..." for word in CANDIDATE.findall(text)
                  if looks_random(word)]
    assert found == []


def test_the_entropy_check_can_tell_a_key_from_prose():
    # Written in pieces, so that this file does not hold what the scan above looks for.
    assert looks_random("9f2c4e1ab37d5f60" + "c8e2b94a1d7f3e5c0b6a8d2f")
    assert looks_random("mh_Zq3vK8pX2LrT9w" + "Yb4NcF7hJ1sD6gA0eQ5uM")
    assert looks_random("Kx7_pQ2vN9-aZ4mR" + "8tY1wE6uB3cH5jLd")  # 32 characters: keys are longer
    assert not looks_random("test_the_entropy_check_can_tell_a_key_from_prose")
    assert not looks_random("0" * 64)
    assert not looks_random("portal/templates/history/_bar_chart.html")
    assert not looks_random("http://$HOST:$PORT/api/v1/usecases/NAME/predict")
    # A lock file's integrity digest names a published package; the same run alone is a key.
    digest = ("Zq3vK8pX2LrT9wYb" + "4NcF7hJ1sD6gA0eQ" + "5uMKx7pQ2vN9aZ4m"
              + "R8tY1wE6uB3cH5jL")
    assert not looks_random("sha512-" + digest) and looks_random(digest)
    assert not looks_random(subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT,
                                           capture_output=True, text=True).stdout.strip())


def test_the_secret_key_is_made_per_installation(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    keys = [make_app(folder, WTF_CSRF_ENABLED=True).secret_key for folder in (first, second)]
    assert keys[0] != keys[1]
    assert all(len(key) >= 64 for key in keys)
    assert make_app(first).secret_key == keys[0]  # another worker of the same installation
    for folder in (first, second):
        mode = (folder / "secret_key").stat().st_mode
        assert stat.S_IMODE(mode) == 0o600  # readable by the owner only
