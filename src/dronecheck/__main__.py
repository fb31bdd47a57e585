"""`python -m dronecheck`: the same as the `dronecheck` command."""

from dronecheck.cli import app

app(prog_name="dronecheck")
