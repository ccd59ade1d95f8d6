"""The progress bar: only on an interactive stderr, after 2 s, silent with verbose=0."""

from __future__ import annotations

import io
import sys

import pytest

from twoembed.vectors import load_glove
from twoembed.vectors.load import load
from twoembed.vectors.options import LoadOptions

from .files import GLOVE, write


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_when_not_a_terminal(tmp_path, capsys):
    load_glove(write(tmp_path, GLOVE))
    assert capsys.readouterr().err == ""


def test_progress_shows_mib_read_on_a_slow_interactive_load(tmp_path, monkeypatch):
    pytest.importorskip("tqdm")
    path = write(tmp_path, GLOVE)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    load(path, options=LoadOptions(progress_after=0))  # as if 2 s had passed
    shown = terminal.getvalue()
    assert f"loading {path}" in shown and "MiB" in shown
    for options in (LoadOptions(), LoadOptions(progress_after=0, verbose=0)):
        # A load under 2 s, and verbose=0, show nothing.
        terminal.seek(0)
        terminal.truncate()
        load(path, options=options)
        assert terminal.getvalue() == ""
