"""Nox sessions for the Kusari monorepo: tests, lint, the MNIST demo and the benchmarks.

Every session installs the packages from their folders under ``packages/`` into a fresh virtual
environment, so what is tested is what a user gets from ``pip install``.
"""

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "tests"]

PACKAGES = ("core", "cv", "rl", "ui")


def _with_test_extra(*packages: str) -> list[str]:
    """Return pip requirements that install each package from its folder with its test extra."""
    return [f"./packages/{package}[test]" for package in packages]


@nox.session
def tests(session: nox.Session) -> None:
    """Install all four packages and run the whole test suite; posargs go to pytest.

    Debian's Chromium is installed first (tools/install-chromium.sh) for kusari-ui's browser
    tests; where that is not possible they skip and say why.
    """
    session.run("bash", "tools/install-chromium.sh", external=True)
    session.install(*_with_test_extra(*PACKAGES))
    session.run("pytest", "tests", *session.posargs)


def _package_tests_session(package: str) -> None:
    """Register the session ``tests_<package>``: that package and core, and tests/<package>."""
    required = dict.fromkeys(("core", package))

    def package_tests(session: nox.Session) -> None:
        if package == "ui":
            session.run("bash", "tools/install-chromium.sh", external=True)
        session.install(*_with_test_extra(*required))
        session.run("pytest", f"tests/{package}", *session.posargs)

    package_tests.__doc__ = (
        f"Install {' and '.join(required)} only and run tests/{package}; posargs go to pytest."
    )
    nox.session(name=f"tests_{package}", tags=["packages"])(package_tests)


for _package in PACKAGES:
    _package_tests_session(_package)


@nox.session
def tests_rl_slow(session: nox.Session) -> None:
    """Run kusari-rl's slow learning tests (PPO and DoubleDQN on CartPole, SAC on Pendulum)."""
    session.install(*_with_test_extra("core", "rl"))
    session.run("pytest", "tests/rl", "-m", "slow", *session.posargs)


@nox.session
def tests_cv_slow(session: nox.Session) -> None:
    """Run kusari-cv's slow tests (SSD300 training, full-size model round trips, presets)."""
    session.install(*_with_test_extra("core", "cv"))
    session.run("pytest", "tests/cv", "-m", "slow", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Run ``ruff check`` on the whole repository (configuration in ruff.toml)."""
    session.install("ruff")
    session.run("ruff", "check", ".", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Train an MLP on the bundled MNIST subset; posargs go to examples/mnist/train_mnist.py.

    kusari-ui is installed too, so the run takes commands from the dashboard (``nox -s dashboard``).
    """
    session.install("./packages/core", "./packages/ui", "tqdm")
    session.run("python", "examples/mnist/train_mnist.py", *session.posargs)


@nox.session
def dashboard(session: nox.Session) -> None:
    """Serve the demo's results with kusari-ui; posargs go to ``kusari-ui server``.

    With no posargs it runs ``kusari-ui server --root result`` (the folder the demo writes).
    """
    session.install("./packages/ui")
    session.run("kusari-ui", "server", *(session.posargs or ["--root", "result"]))


@nox.session
def bench(session: nox.Session) -> None:
    """Run benchmarks/run.py against core; ``-- --torch`` also installs the PyTorch peer.

    Other posargs go to the script. PyTorch is the CPU build pinned here (``torch==2.13.0``);
    without it the script times Kusari against the NumPy floor only.
    """
    args = list(session.posargs)
    session.install("./packages/core")
    if "--torch" in args:
        args.remove("--torch")
        session.install("torch==2.13.0")
    session.run("python", "benchmarks/run.py", *args)


@nox.session
def bench_rl(session: nox.Session) -> None:
    """Time kusari-rl's presets against Stable-Baselines3; posargs go to benchmarks/rl/run.py.

    Installs the ``bench`` extra of kusari-rl (stable-baselines3 and the CPU build of PyTorch
    pinned here); ``-- --no-sb3`` runs kusari-rl alone.
    """
    session.install("./packages/core", "./packages/rl[bench]")
    session.run("python", "benchmarks/rl/run.py", *session.posargs)


@nox.session
def bench_cv(session: nox.Session) -> None:
    """Time kusari-cv's detectors on one image, single-threaded; posargs go to the script.

    Runs benchmarks/cv/latency.py (SSD300, YOLOv3, Faster R-CNN VGG16 and FPN ResNet50, MTCNN),
    e.g. ``nox -s bench_cv -- --models ssd300 mtcnn --rounds 10``.
    """
    session.install("./packages/core", "./packages/cv")
    session.run("python", "benchmarks/cv/latency.py", *session.posargs)


@nox.session
def bench_ui(session: nox.Session) -> None:
    """Time kusari-ui's API on a 1,000,000-entry log; posargs go to benchmarks/ui_large_log.py."""
    session.install("./packages/ui")
    session.run("python", "benchmarks/ui_large_log.py", *session.posargs)
