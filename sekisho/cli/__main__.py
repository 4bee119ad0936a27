"""``python -m sekisho.cli``: the same as the ``sekisho`` command."""

from sekisho.cli import app

app()
