"""The ``kusari-ui`` command: run the dashboard server and manage its projects.

Examples::

    kusari-ui server --root result          # browse the MNIST demo's results
    kusari-ui server --host 0.0.0.0 --port 8080
    kusari-ui project create runs/ -n sweeps
    kusari-ui project list

The state (the registered projects) lives in ``$KUSARI_UI_ROOT`` (default ``~/.kusari/ui``);
its database is created and migrated by every command, so there is no set-up step.
"""

import ipaddress
import os
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from kusari_ui import __version__
from kusari_ui.crawler import ProjectExistsError, register_project
from kusari_ui.db.database import make_session_factory, open_database
from kusari_ui.db.models import Project, Result

__all__ = ["main"]

# Host names a browser on this machine uses to reach a loopback-bound server; requests with
# any other Host header are refused, which defeats DNS rebinding.
_LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def _is_loopback(host: str) -> bool:
    """Return whether ``host`` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    """Return the URL a local browser opens for a server bound to ``host``."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"http://{host}:{port}/"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}/" if address.version == 6 else f"http://{address}:{port}/"


def _serve_waitress(app: Any, host: str, port: int) -> None:
    """Serve ``app`` with waitress, the production WSGI server (several threads)."""
    import waitress

    waitress.serve(app, host=host, port=port, threads=8)


def _serve_dev(app: Any, host: str, port: int) -> None:
    """Serve ``app`` with Flask's development server (no debugger, no reloader)."""
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


_SERVERS = {"waitress": _serve_waitress, "dev": _serve_dev}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kusari-ui")
def main() -> None:
    """kusari-ui: a dashboard of Kusari (and Chainer) training results.

    State is kept in $KUSARI_UI_ROOT (default ~/.kusari/ui).
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the dashboard.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True,
              help="Port to listen on.")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="A results folder to browse; registered as a project "
                                 "(named after the folder) unless it is one already.")
@click.option("--server", "server_kind", type=click.Choice(sorted(_SERVERS)),
              default="waitress", show_default=True,
              help="waitress (production WSGI server) or dev (Flask's development server).")
def server(host: str, port: int, root: Path | None, server_kind: str) -> None:
    """Run the dashboard server."""
    from kusari_ui.app import create_app, db_session

    config: dict[str, Any] = {}
    if _is_loopback(host):
        config["TRUSTED_HOSTS"] = list(dict.fromkeys([*_LOOPBACK_HOSTS, host]))
    else:
        click.echo(
            f"kusari-ui: WARNING: listening on {host}, not on loopback: anyone who can reach "
            f"this machine on port {port} can read your results and steer your runs. Use "
            "--host 127.0.0.1 (the default) unless this network is trusted.",
            err=True,
        )
    app = create_app(config)
    url = _url(host, port)
    if root is not None:
        with app.app_context():
            try:
                project = register_project(db_session(), root)
                click.echo(f"kusari-ui: registered {project.path} as project "
                           f"{project.name!r} (id {project.id})")
            except ProjectExistsError as error:
                project = error.project
            except ValueError as error:
                raise click.ClickException(str(error)) from None
        url = f"{url}#/project/{project.id}"
    click.echo(f"kusari-ui: state in {app.config['KUSARI_UI_ROOT']}")
    click.echo(f"kusari-ui: open {url}  (Ctrl+C stops the server)")
    _SERVERS[server_kind](app, host, port)


@main.group()
def project() -> None:
    """Register and list projects (folders of results)."""


@project.command("create")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-n", "--name", default=None, help="Display name (default: the folder's name).")
def project_create(directory: Path, name: str | None) -> None:
    """Register DIRECTORY as a project."""
    engine = open_database()
    try:
        with make_session_factory(engine)() as session:
            try:
                created = register_project(session, directory, name)
            except ProjectExistsError as error:
                raise click.ClickException(
                    f"{error.project.path} is registered already as project "
                    f"{error.project.name!r} (id {error.project.id})"
                ) from None
            except ValueError as error:
                raise click.ClickException(str(error)) from None
            click.echo(f"created project {created.id}: {created.name} ({created.path})")
    finally:
        engine.dispose()


@project.command("list")
def project_list() -> None:
    """List the registered projects."""
    engine = open_database()
    try:
        with make_session_factory(engine)() as session:
            counts = dict(session.execute(
                select(Result.project_id, func.count(Result.id))
                .where(Result.is_missing.is_(False)).group_by(Result.project_id)
            ).all())
            projects = session.scalars(select(Project).order_by(Project.id)).all()
            if not projects:
                click.echo("no projects; register one with: kusari-ui project create DIR")
            for item in projects:
                note = "" if os.path.isdir(item.path) else "  [folder missing]"
                click.echo(f"{item.id}\t{item.name}\t{item.path}\t"
                           f"{counts.get(item.id, 0)} results{note}")
    finally:
        engine.dispose()
