"""`python -m firstpatch` runs the CLI."""

from firstpatch.cli import main

main()
