"""Live evidence about model versions, for the people who promote them: figures measured on
predictions whose true outcome was recorded (live.py, from figures.py and intervals.py)."""
