"""Entry point of a training job's own process: `python -m registry.jobs.process JOB_ID`."""
from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from portal import create_app
    from registry import jobs

    app = create_app()
    with app.app_context():
        job = jobs.run(int(argv[1]))
        return 0 if job.status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
