"""The command-line door: the `duban` console script (console.py) and the product commands
that put several apps together (demo, serve, stats, import, export). Like the URLs and the
API, a door may import any app; the apps' own commands stay in their apps."""

from duban.cli.console import COMMANDS, GROUPS, help_text, main

__all__ = ["COMMANDS", "GROUPS", "help_text", "main"]
