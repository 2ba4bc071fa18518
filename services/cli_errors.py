"""The expected failures of the `healthhub` command, each told in one line on stderr.

An operator who runs a command against a stopped Redis or an unreachable database needs the
cause and an exit code, not a traceback (and the settings in a traceback's local variables
hold passwords: the app never shows locals). What is expected: Redis or the broker away, the
database away, a timeout (seeding, a process that does not become ready), a process that
fails to start, a bad argument or setting, a directory that cannot be created or written. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import kombu.exceptions
import pydantic
import redis
import sqlalchemy.exc
import typer

from services.supervisor import StartFailed
from services.up import RedisUnreachable

EXIT_FAILURE = 1
EXIT_USAGE = 2
# How SQLite and PostgreSQL say that a table is missing: the database was never migrated.
MISSING_TABLE = ("no such table", "does not exist")


def one_line(text: str) -> str:
    return " ".join(text.split())


def settings_problem(exc: pydantic.ValidationError) -> str:
    """What is wrong with the HEALTHHUB_* settings, naming each variable. Never the values:
    pydantic's own text repeats the input, which holds database and Redis passwords."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        names = [f"HEALTHHUB_{str(part).upper()}" for part in error["loc"][:1]]
        parts.append(f"{names[0]}: {message}" if names else message)
    return "invalid settings: " + "; ".join(parts)


def describe(exc: BaseException) -> str | None:
    """The line that tells an expected failure, or None for anything else."""
    if isinstance(exc, pydantic.ValidationError) and exc.title.endswith("Settings"):
        return settings_problem(exc)
    if isinstance(exc, sqlalchemy.exc.ArgumentError):
        # Raised for a URL that does not parse; its message repeats the URL (and password).
        return (
            "a database URL in the settings does not parse "
            "(check the HEALTHHUB_*_DATABASE_URL variables)"
        )
    if isinstance(exc, StartFailed | RedisUnreachable):
        return str(exc)
    if isinstance(exc, redis.RedisError):
        return f"cannot reach Redis: {exc}"
    if isinstance(exc, kombu.exceptions.OperationalError):
        return f"cannot reach the broker (Redis): {exc}"
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        # The driver's own message, without SQLAlchemy's statement and help link.
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        if any(m in reason for m in MISSING_TABLE):
            return f"the database has no tables yet ({reason}); run `healthhub migrate` first"
        if isinstance(exc, sqlalchemy.exc.OperationalError):
            return f"cannot reach the database: {reason}"
        return f"database error: {reason}"
    if isinstance(exc, TimeoutError):
        return f"timed out: {exc}"
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        # A directory of the settings (HEALTHHUB_VAR_DIR, ...) that cannot be created or
        # written: the operator's to fix, not a bug.
        return f"cannot use {exc.filename}: {exc.strerror} (check the paths in the settings)"
    return None


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the app and return its exit code; expected failures are one line on stderr."""
    try:
        result = app(args=list(args) if args is not None else None, standalone_mode=False)
    except typer.TyperException as exc:  # typer's click errors: usage errors carry a context
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message(), err=True)  # no arguments: the help is the answer
            return EXIT_USAGE
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = one_line(exc.format_message()).replace("Value error, ", "")
        typer.echo(f"healthhub: {message}{hint}", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("healthhub: aborted", err=True)
        return EXIT_FAILURE
    except Exception as exc:
        line = describe(exc)
        if line is None:
            raise
        typer.echo(f"healthhub: {one_line(line)}", err=True)
        return EXIT_FAILURE
    return result if isinstance(result, int) else 0


def main(app: typer.Typer) -> None:
    sys.exit(run(app))
