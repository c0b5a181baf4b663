"""``python -m kilab`` runs the CLI."""

from kilab.cli import main

main()
