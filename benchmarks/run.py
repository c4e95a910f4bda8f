"""Time one training iteration (forward, backward, SGD update) of Kusari, PyTorch and NumPy.

Cases:
    mlp_tiny: 10 ``Linear(32)`` layers with ReLU at batch 1 and softmax cross entropy (measures
        host-side overhead per operation).
    mlp_mnist: a 784-1000-1000-10 ReLU MLP at batch 100 (measures the arithmetic path).

Every implementation runs single-threaded, interleaved round by round in one process so that
machine noise hits them alike; the script prints the median time per iteration and the ratios
Kusari / PyTorch and Kusari / NumPy floor. PyTorch is optional (``pip install torch==2.13.0``).

Usage:
    python benchmarks/run.py [--rounds 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy  # noqa: E402  (thread limits must be set before NumPy loads BLAS)

CASES = {
    # name: (layer sizes, batch, iterations per timing round)
    "mlp_tiny": ([32] * 11, 1, 300),
    "mlp_mnist": ([784, 1000, 1000, 10], 100, 5),
}


def _data(sizes: list[int], batch: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(numpy.float32)
    t = rng.integers(0, sizes[-1], batch).astype(numpy.int32)
    return x, t


def _weights(sizes: list[int]) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    rng = numpy.random.default_rng(1)
    return [
        (
            (rng.standard_normal((n_out, n_in)) / numpy.sqrt(n_in)).astype(numpy.float32),
            numpy.zeros(n_out, numpy.float32),
        )
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def make_numpy(sizes: list[int], batch: int, lr: float = 0.01):
    """A hand-written NumPy forward, backward and SGD step: the floor."""
    params = _weights(sizes)
    x, t = _data(sizes, batch)
    rows = numpy.arange(batch)

    def step() -> float:
        hs = [x]
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w.T
            h += b
            if i < len(params) - 1:
                numpy.maximum(h, 0, out=h)
            hs.append(h)
        z = h - h.max(axis=1, keepdims=True)
        e = numpy.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(numpy.log(s[:, 0]).sum() - z[rows, t].sum()) / batch
        g = e / s
        g[rows, t] -= 1
        g /= batch
        for i in range(len(params) - 1, -1, -1):
            w, b = params[i]
            gw = g.T @ hs[i]
            gb = g.sum(axis=0)
            if i:
                g = g @ w
                g *= hs[i] > 0
            w -= lr * gw
            b -= lr * gb
        return loss

    return step


def make_kusari(sizes: list[int], batch: int, lr: float = 0.01):
    """The same model with Kusari's Chainer API."""
    import kusari
    import kusari.functions as F
    import kusari.links as L

    class MLP(kusari.ChainList):
        def __init__(self) -> None:
            super().__init__()
            for w, b in _weights(sizes):
                layer = L.Linear(w.shape[1], w.shape[0], initialW=w, initial_bias=b)
                self.append(layer)

        def forward(self, h):
            layers = list(self)
            for layer in layers[:-1]:
                h = F.relu(layer(h))
            return layers[-1](h)

    model = MLP()
    opt = kusari.optimizers.SGD(lr=lr)
    opt.setup(model)
    x, t = _data(sizes, batch)

    def step() -> float:
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        opt.update()
        return float(loss.array)

    return step


def make_torch(sizes: list[int], batch: int, lr: float = 0.01):
    """The same model with PyTorch on the CPU (``None`` when PyTorch is not installed)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    layers = []
    for w, b in _weights(sizes):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
    model = torch.nn.ModuleList(layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    xn, tn = _data(sizes, batch)
    x = torch.from_numpy(xn)
    t = torch.from_numpy(tn.astype(numpy.int64))

    def step() -> float:
        h = x
        for layer in layers[:-1]:
            h = torch.relu(layer(h))
        loss = torch.nn.functional.cross_entropy(layers[-1](h), t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def run_case(name: str, rounds: int) -> dict[str, float]:
    """Interleave the implementations for ``rounds`` rounds; return median seconds/iteration."""
    sizes, batch, n_iter = CASES[name]
    steps = {
        "numpy": make_numpy(sizes, batch),
        "kusari": make_kusari(sizes, batch),
        "torch": make_torch(sizes, batch),
    }
    steps = {k: v for k, v in steps.items() if v is not None}
    losses = {k: step() for k, step in steps.items()}
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(rounds):
        for key, step in steps.items():
            start = time.perf_counter()
            for _ in range(n_iter):
                step()
            times[key].append((time.perf_counter() - start) / n_iter)
    medians = {k: float(numpy.median(v)) for k, v in times.items()}
    medians["first_loss"] = losses
    return medians


def main(argv: list[str] | None = None) -> int:
    """Run every case and print a table of medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    results = {}
    print(f"{'case':<10} {'numpy':>12} {'kusari':>12} {'torch':>12} "
          f"{'kusari/torch':>13} {'kusari/numpy':>13}")
    for name in args.case or list(CASES):
        r = run_case(name, args.rounds)
        results[name] = r
        torch_t = r.get("torch")
        ratio_t = f"{r['kusari'] / torch_t:13.2f}" if torch_t else f"{'n/a':>13}"
        torch_s = f"{torch_t * 1e6:10.1f}us" if torch_t else f"{'n/a':>12}"
        print(f"{name:<10} {r['numpy'] * 1e6:10.1f}us {r['kusari'] * 1e6:10.1f}us {torch_s} "
              f"{ratio_t} {r['kusari'] / r['numpy']:13.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
