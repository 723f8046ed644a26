"""The ``dunops`` program. ``dunops zone ...`` goes straight to its own module, so a zone check in a CI
job or a pre-commit hook loads the DNS engine alone; every other command goes to the full CLI."""

from __future__ import annotations

import sys


def main() -> int | None:
    """Run ``dunops`` with the process's arguments; the exit code."""
    if sys.argv[1:2] == ["zone"]:
        from dunops.cli.zone import main as zone

        return zone(sys.argv[2:])
    from dunops.cli.main import app

    app()
    return None


if __name__ == "__main__":
    sys.exit(main())
