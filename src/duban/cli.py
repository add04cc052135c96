"""The `duban` console script: the product's commands on top of Django's management layer.

`duban import …` and `duban export …` map to the `import_ledger` / `export_ledger`
commands (import is a Python keyword); `duban worker` runs the task worker; anything
else is an ordinary management command (`duban migrate`, `duban shell`, …).
"""

from __future__ import annotations

import os
import sys

ALIASES = {"import": "import_ledger", "export": "export_ledger", "worker": "db_worker"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    if not args:
        args = ["help"]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["duban", *args])


if __name__ == "__main__":
    main()
