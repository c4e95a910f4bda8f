"""Making a result folder for a run and recording how the run was started."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from kusari.training import save_args
from kusari.utils import write_text_atomically

__all__ = ["is_under_git_control", "prepare_output_dir"]

# The files written inside a git work tree, and the git command each holds the output of.
_GIT_FILES = (
    ("git-head.txt", ("rev-parse", "HEAD")),
    ("git-status.txt", ("status",)),
    ("git-diff.txt", ("diff",)),
)


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(("git", *args), capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def is_under_git_control() -> bool:
    """Return whether the current directory is inside a git work tree (``False`` without git)."""
    return _git("rev-parse") is not None


def prepare_output_dir(
    args: argparse.Namespace | Mapping[str, Any],
    user_specified_dir: str | None = None,
    argv: Sequence[str] | None = None,
    time_format: str = "%Y%m%dT%H%M%S.%f",
) -> str:
    """Create a new result folder named after the current time and record the run in it.

    The folder receives:

    - ``args.txt``: the arguments as one line of JSON (ChainerRL's file);
    - ``args``: the same as an indented JSON object, Kusari's result-format file (see
      ``docs/result-format.md``), which kusari-ui reads;
    - ``command.txt``: the command line, ``argv`` joined by spaces;
    - inside a git work tree (the current directory's): ``git-head.txt``, ``git-status.txt`` and
      ``git-diff.txt``, the output of ``git rev-parse HEAD``, ``git status`` and ``git diff``
      (a command that fails, e.g. ``rev-parse HEAD`` before the first commit, writes no file).

    Values JSON cannot hold are written as their ``str``. Every file is written atomically.
    Unlike ChainerRL, the environment variables are not saved (they may hold secrets).

    Args:
        args: The script's arguments (an ``argparse.Namespace`` or a mapping).
        user_specified_dir: The folder to create the result folder in (created if missing);
            ``None`` makes it in the system's temporary folder.
        argv: The command line (default: ``sys.argv``).
        time_format: The :meth:`datetime.datetime.strftime` format of the folder's name (ISO
            8601's basic format by default).

    Returns:
        The path of the new result folder.

    Raises:
        TypeError: If ``args`` is neither a Namespace nor a mapping.
        NotADirectoryError: If ``user_specified_dir`` exists and is not a folder.
        FileExistsError: If the result folder exists already.
    """
    if isinstance(args, argparse.Namespace):
        args = vars(args)
    if not isinstance(args, Mapping):
        raise TypeError(
            "prepare_output_dir: args must be an argparse.Namespace or a mapping, got "
            f"{type(args).__name__}"
        )
    time_str = datetime.datetime.now().strftime(time_format)
    if user_specified_dir is None:
        outdir = tempfile.mkdtemp(prefix=time_str)
    else:
        if os.path.exists(user_specified_dir) and not os.path.isdir(user_specified_dir):
            raise NotADirectoryError(
                f"prepare_output_dir: user_specified_dir {user_specified_dir!r} is not a folder"
            )
        outdir = os.path.join(user_specified_dir, time_str)
        if os.path.exists(outdir):
            raise FileExistsError(f"prepare_output_dir: {outdir!r} exists already")
        os.makedirs(outdir)
    write_text_atomically(os.path.join(outdir, "args.txt"), json.dumps(dict(args), default=str))
    save_args(args, outdir)
    command = sys.argv if argv is None else argv
    write_text_atomically(os.path.join(outdir, "command.txt"), " ".join(command))
    if is_under_git_control():
        for filename, git_args in _GIT_FILES:
            output = _git(*git_args)
            if output is not None:
                write_text_atomically(os.path.join(outdir, filename), output)
    return outdir
