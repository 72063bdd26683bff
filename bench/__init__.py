"""The benchmark: how fast Model Hub answers, and how that holds as its history grows.

Run it from the repository's root with `python -m bench.run` (about five minutes on two cores) or
`python -m bench.run --quick` (well under a minute; what CI runs). See `bench/run.py`.
"""
