"""``python -m trillion`` runs the command line."""

from trillion.cli import run

run()
