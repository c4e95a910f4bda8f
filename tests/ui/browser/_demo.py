"""Realistic result folders for the browser tests and the dashboard screenshot.

Writes what a Kusari training writes (``log``, ``args``) plus the heartbeat of
``kusari_ui/status.json``, with smooth, noisy learning curves that differ by learning rate
and seed, so that grouping by args (ignoring ``seed``) gives visible mean ± std bands.
"""

import json
import math
import os
import random
import socket
import time
from pathlib import Path

ITERATIONS_PER_EPOCH = 40


def curves(lr: float, seed: int, epochs: int) -> list[dict]:
    """Log entries of a classifier trained with learning rate ``lr``: one per epoch."""
    rng = random.Random(seed * 7919 + round(lr * 1e6))
    speed = 0.35 + 6.0 * lr
    floor = 0.04 + 0.02 * rng.random()
    entries = []
    elapsed = 0.0
    for epoch in range(1, epochs + 1):
        progress = math.exp(-speed * epoch)
        loss = floor + 2.1 * progress + rng.gauss(0, 0.02 + 0.03 * progress)
        val_loss = floor * 1.6 + 2.0 * progress + 0.004 * epoch + rng.gauss(0, 0.03)
        accuracy = min(0.999, 0.985 - 0.85 * progress + rng.gauss(0, 0.006))
        val_accuracy = min(0.999, 0.972 - 0.85 * progress + rng.gauss(0, 0.01))
        elapsed += 3.0 + rng.random()
        entries.append({
            "main/loss": round(max(loss, 1e-3), 6),
            "main/accuracy": round(accuracy, 6),
            "validation/main/loss": round(max(val_loss, 1e-3), 6),
            "validation/main/accuracy": round(val_accuracy, 6),
            "lr": lr,
            "epoch": epoch,
            "iteration": epoch * ITERATIONS_PER_EPOCH,
            "elapsed_time": round(elapsed, 3),
        })
    return entries


def write_heartbeat(folder: Path, state: str, epoch: int, updated_at: float,
                    error: str | None = None) -> None:
    """Write ``kusari_ui/status.json`` as CommandsExtension does."""
    status_dir = folder / "kusari_ui"
    status_dir.mkdir(parents=True, exist_ok=True)
    (status_dir / "status.json").write_text(json.dumps({
        "format": 1, "state": state, "pid": os.getpid(), "host": socket.gethostname(),
        "started_at": updated_at - 60.0 * epoch, "updated_at": updated_at, "interval": 5.0,
        "epoch": epoch, "iteration": epoch * ITERATIONS_PER_EPOCH, "error": error,
    }))


def write_run(folder: Path, lr: float, seed: int, epochs: int, *, state: str = "finished",
              error: str | None = None, extra_args: dict | None = None) -> Path:
    """Write one result folder (``log``, ``args``, heartbeat) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log").write_text(json.dumps(curves(lr, seed, epochs), indent=4))
    args = {"batchsize": 100, "epoch": 20, "lr": lr, "seed": seed, "unit": 1000,
            "out": f"result/{folder.name}"}
    args.update(extra_args or {})
    (folder / "args").write_text(json.dumps(args, indent=4))
    write_heartbeat(folder, state, epochs, time.time(), error)
    return folder


def write_demo_project(root: Path) -> Path:
    """Six runs (lr 0.01 / 0.05 × seed 0, 1, 2): finished, one running, one crashed."""
    root.mkdir(parents=True, exist_ok=True)
    for lr in (0.01, 0.05):
        for seed in (0, 1, 2):
            name = f"mlp_lr{lr}_seed{seed}"
            state, epochs, error = "finished", 20, None
            if lr == 0.05 and seed == 2:
                state, epochs = "running", 13
            if lr == 0.01 and seed == 2:
                state, epochs, error = "crashed", 9, "FloatingPointError: loss is NaN"
            write_run(root / name, lr, seed, epochs, state=state, error=error)
    return root
