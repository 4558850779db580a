"""The ``konstantly`` command: a group's course assignments from the terminal.

Exit status: 0 when everything asked for was shown; 1 when the API or the
network failed (one line ``ErrorName: message`` on stderr); 2 for a usage or
configuration mistake; 130 when interrupted.

A report must not look whole when it is not. Every row that arrived is
written, even a group's that arrived incomplete (the server announced more
assignments than it sent); then each group that failed or arrived incomplete
is named on stderr, one line each, in the order asked, such as
``group 5: incomplete: 1 of 9 assignments arrived``, and the exit status is 1.
(When the only group asked for fails, its error alone is the line.)

Output that cannot be written once the groups are fetched (a full disk, a
closed stdout, an -o FILE that cannot be created) exits 1, whether it was
stdout or -o FILE, with one line such as ``OSError: cannot write the output:
No space left on device``. An -o FILE whose directory does not exist is found
before anything is fetched, and is a usage error, 2. An -o FILE is written
whole or not at all: a failure leaves no empty or cut-off file behind.

Text from the server, in the output and in the lines about errors alike,
goes through `_output.safe_text`, so no escape sequence reaches a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeAlias, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

import konstantly

from . import _output
from ._config import is_visible_ascii, resolve_timezone
from ._groups import MAX_CONCURRENCY
from ._logging import StderrHandler
from ._version import __version__

if TYPE_CHECKING:
    from konstantly import Assignment, GroupAssignments

    GroupResult: TypeAlias = GroupAssignments | konstantly.KonstantlyError

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report it

API_KEY_VARIABLE: Final = "KONSTANTLY_API_KEY"
# Far beyond any key file, and small enough that a wrong path, such as
# /dev/zero or a log file, cannot fill the memory before it is refused.
MAX_API_KEY_FILE_SIZE: Final = 64 * 1024
# Room for a million group ids; a wrong path, such as /dev/zero or
# `yes 1 |`, is refused there instead of read without end.
MAX_GROUPS_FILE_SIZE: Final = 16 * 2**20

_DEBUG_HELP: Final = "log every step to stderr and show tracebacks"
_ASSIGNMENTS_DESCRIPTION: Final = """\
List the courses assigned to one or more groups, with their deadlines. The
API key is read from $KONSTANTLY_API_KEY or from --api-key-file, never from
the command line.
"""
_ASSIGNMENTS_EPILOG: Final = """\
exit status:
  0    every group asked for was written out whole
  1    an API or network error; or, after the output, a line on stderr for
       each group that failed or arrived incomplete, such as
       "group 5: incomplete: 1 of 9 assignments arrived";
       or the output could not be written (stdout or -o FILE)
  2    a usage or configuration mistake, such as an -o FILE in a directory
       that does not exist (found before anything is fetched)
  130  interrupted
"""
_DEBUG_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_DURATION = re.compile(r"(?P<amount>[0-9]+)\s*(?P<unit>[mhdw])", re.IGNORECASE)
_DURATION_UNITS: Final = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
# Far beyond any deadline, and far inside what a datetime holds (it ends with
# the year 9999), so that now plus the duration cannot overflow.
MAX_DURATION: Final = timedelta(days=36525)  # 100 years

# The API's group ids are signed 64-bit integers.
MAX_GROUP_ID: Final = 2**63 - 1

# A value longer than this is shown by its start and its length, so that a
# mistake such as a 5,000-digit id does not flood the terminal.
_SHOWN_LENGTH: Final = 40

_logger = logging.getLogger("konstantly")


class UsageError(Exception):
    """A mistake in the command line found after parsing; exits 2 like argparse's."""


class OutputError(Exception):
    """The output could not be written once the groups were fetched; exits 1.

    Its message gives the system's reason, such as "No space left on device".
    """


@dataclass(frozen=True, kw_only=True)
class AssignmentsCommand:
    """The `assignments` command line, checked and typed."""

    group_ids: tuple[int, ...]
    output_format: _output.OutputFormat
    sort: _output.SortKey
    overdue: bool
    due_within: timedelta | None
    zone: tzinfo | None
    site: str | None
    base_url: str | None
    api_key_file: Path | None
    output: Path | None
    concurrency: int

    @property
    def display_zone(self) -> tzinfo:
        """The zone datetimes are shown in: `--tz`, or UTC."""
        return self.zone or UTC

    @property
    def several_groups(self) -> bool:
        """Whether rows need a group column to tell their groups apart."""
        return len(self.group_ids) > 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``konstantly`` command.

    Args:
        argv: the arguments after the program name; `None` means `sys.argv[1:]`.

    Returns:
        The exit status: 0 success, 1 API or network failure, 2 usage or
        configuration error, 130 interrupted. The console script passes it to
        `sys.exit`.
    """
    parser = build_parser()
    try:
        arguments = _parse_arguments(parser, argv)
        return _run(arguments)
    except SystemExit as exit_request:
        # argparse exits after --help and --version, and on usage errors.
        return _exit_status(exit_request.code)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def entry_point() -> NoReturn:
    """Run `main` as the console script and ``python -m konstantly`` do, then exit.

    After Ctrl+C the process ends at once, by `os._exit`: requests the command
    gave up on may still be waiting on the library's worker threads, which a
    normal exit would join, each for up to the client's timeout times its
    attempts. By then `main` has cleaned up (an -o FILE is whole or untouched,
    the progress bar is gone), so only the buffered output is left to flush.
    """
    status = main()
    if status == EXIT_INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            # A stream may be closed, or its reader gone; the status still stands.
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        os._exit(status)
    sys.exit(status)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of the ``konstantly`` command line.

    Returns:
        A parser whose namespace holds `command`, `debug` and `handler`, plus the
        options of the chosen command.
    """
    # No abbreviations: `--api-key` must not pass for `--api-key-file`.
    parser = argparse.ArgumentParser(
        prog="konstantly",
        allow_abbrev=False,
        description="Command-line client for the Konstantly learning platform.",
    )
    parser.add_argument(
        "--version", action="version", version=f"konstantly {__version__}"
    )
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )

    _add_assignments_parser(commands)
    _add_fake_server_parser(commands)

    return parser


def _parse_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """Parse like `parse_args`, but name unknown options without their values.

    A value after a mistyped option (`--api sk-...`) may well be the key.
    """
    arguments, unknown = parser.parse_known_args(argv)
    if unknown:
        options = [item.partition("=")[0] for item in unknown if item.startswith("-")]
        values = len(unknown) - len(options)
        if values:
            noun = "value" if values == 1 else "values"
            options.append(f"{values} {noun} (not repeated here)")
        parser.error(f"unrecognized arguments: {', '.join(options)}")
    return arguments


def parse_duration(text: str) -> timedelta:
    """Read a duration such as `90m`, `12h`, `7d` or `2w`.

    Args:
        text: a positive whole number and a unit: `m` minutes, `h` hours,
            `d` days or `w` weeks; at most `MAX_DURATION`, 100 years.

    Returns:
        The duration.

    Raises:
        argparse.ArgumentTypeError: the text is not such a duration, or a
            longer one.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None or not match["amount"].strip("0"):
        message = (
            f"invalid duration {_shown(text)}: use a positive whole number and a "
            "unit (m minutes, h hours, d days, w weeks), e.g. 90m, 12h, 7d or 2w"
        )
        raise argparse.ArgumentTypeError(message)

    unit = _DURATION_UNITS[match["unit"].lower()]
    amount = _whole_number(match["amount"], at_most=MAX_DURATION // unit)
    if amount is None:
        message = f"invalid duration {_shown(text)}: too long, the most is 100 years"
        raise argparse.ArgumentTypeError(message)
    return amount * unit


def _positive(text: str, what: str, *, at_most: int) -> int:
    number = _whole_number(text, at_most=at_most)
    if not number:
        message = (
            f"invalid {what} {_shown(text)}: use a whole number from 1 to {at_most}"
        )
        raise argparse.ArgumentTypeError(message)
    return number


def _concurrency(text: str) -> int:
    return _positive(text, "concurrency", at_most=MAX_CONCURRENCY)


def parse_zone(name: str) -> tzinfo:
    """Read an IANA time zone name such as `Europe/Berlin`.

    Args:
        name: the zone's name in the IANA database.

    Returns:
        The zone.

    Raises:
        argparse.ArgumentTypeError: there is no zone of that name.
    """
    try:
        return resolve_timezone(name)
    except konstantly.ConfigurationError:
        message = (
            f"unknown time zone {name!r}: use an IANA name such as UTC, "
            "Europe/Berlin or America/New_York"
        )
        raise argparse.ArgumentTypeError(message) from None


def parse_group_id(text: str) -> int:
    """Read a group id: a whole number from 1 to `MAX_GROUP_ID`, 2**63 - 1.

    Args:
        text: the id as given, in ASCII digits.

    Returns:
        The id.

    Raises:
        argparse.ArgumentTypeError: the text is not such a number.
    """
    return _positive(text, "group id", at_most=MAX_GROUP_ID)


def _output_path(text: str) -> Path | None:
    """-o FILE as a path, or `None` for `-`, stdout, as `--groups-file -` is stdin.

    Only `-` itself means stdout: `./-` still names a file, as it would for
    the shell. (`Path("./-")` is `Path("-")`, so the text is checked first.)
    """
    return None if text == "-" else Path(text)


def _parse_port(text: str) -> int:
    port = _whole_number(text, at_most=65535)
    if port is None:
        message = f"invalid port {_shown(text)}: use a number from 0 to 65535"
        raise argparse.ArgumentTypeError(message)
    return port


def _whole_number(text: str, *, at_most: int) -> int | None:
    """The number `text` spells in ASCII digits, if it is from 0 to `at_most`.

    The digits are counted before `int()` reads them: it refuses more than
    4,300 with a ValueError, which argparse would report by the name of the
    function that called it.
    """
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        return None
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(at_most)):
        return None
    number = int(digits)
    return number if number <= at_most else None


def _shown(text: str) -> str:
    """The value's repr for a message, cut short when it is long."""
    if len(text) <= _SHOWN_LENGTH:
        return repr(text)
    return f"{text[:20]!r}... ({len(text)} characters)"


def _add_assignments_parser(commands: Any) -> None:
    assignments = commands.add_parser(
        "assignments",
        allow_abbrev=False,
        help="list the courses assigned to groups",
        description=_ASSIGNMENTS_DESCRIPTION,
        epilog=_ASSIGNMENTS_EPILOG,
        # Keeps the exit status table's lines as they are written.
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assignments.add_argument(
        "group_ids",
        metavar="GROUP_ID",
        nargs="*",
        type=parse_group_id,
        help="a group to list (one or more; or use --groups-file)",
    )
    assignments.add_argument(
        "--groups-file",
        metavar="FILE",
        type=Path,
        help="read group ids from FILE, one a line ('#' starts a comment; - is stdin)",
    )
    assignments.add_argument(
        "--format",
        dest="output_format",
        choices=_output.FORMATS,
        default="table",
        help="output format (default: table)",
    )
    assignments.add_argument(
        "--sort",
        choices=_output.SORT_KEYS,
        default="due",
        help="order by due date, assignment date or course name (default: due)",
    )
    assignments.add_argument(
        "--overdue",
        action="store_true",
        help=(
            "only assignments past their due date; with --due-within, those due "
            "within it as well"
        ),
    )
    assignments.add_argument(
        "--due-within",
        metavar="DURATION",
        type=parse_duration,
        help=(
            "only assignments due within DURATION from now, e.g. 90m, 12h, 7d, "
            "2w; with --overdue, overdue ones as well"
        ),
    )
    assignments.add_argument(
        "--tz",
        dest="zone",
        metavar="ZONE",
        type=parse_zone,
        help=(
            "IANA time zone to show datetimes in and to count relative deadlines "
            "in (default: UTC)"
        ),
    )
    where = assignments.add_mutually_exclusive_group()
    where.add_argument(
        "--site",
        help="the site's name, as in https://SITE.konstant.ly ($KONSTANTLY_SITE)",
    )
    where.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's base URL, e.g. for a test site ($KONSTANTLY_BASE_URL)",
    )
    assignments.add_argument(
        "--api-key-file",
        metavar="PATH",
        type=Path,
        help=f"read the API key from the first line of PATH, not ${API_KEY_VARIABLE}",
    )
    # Accepted only to refuse it without echoing the key back.
    assignments.add_argument(
        "--api-key", nargs="?", const="", default=None, help=argparse.SUPPRESS
    )
    assignments.add_argument(
        "--concurrency",
        metavar="N",
        type=_concurrency,
        default=8,
        help="how many groups to fetch at the same time, 1 to 64 (default: 8)",
    )
    assignments.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=_output_path,
        help="write to FILE (UTF-8) instead of stdout (- is stdout)",
    )
    # Also accepted after the command; SUPPRESS keeps the global flag's value.
    assignments.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP
    )
    assignments.set_defaults(handler=_run_assignments, parser=assignments)


def _add_fake_server_parser(commands: Any) -> None:
    server = commands.add_parser(
        "fake-server",
        allow_abbrev=False,
        help="serve a fake Konstantly site on this machine, for trying things out",
        description=(
            "Serve a fake Konstantly site in the foreground until interrupted. "
            "Its first line of output, 'Fake Konstantly site at URL', names its "
            "base URL. It listens on loopback only, and accepts the key in "
            f"${API_KEY_VARIABLE}, or 'test-key' when that is unset."
        ),
    )
    server.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    server.add_argument(
        "--port",
        type=_parse_port,
        default=0,
        help="port to listen on (default: 0, any free port)",
    )
    server.add_argument(
        "--data",
        metavar="FILE",
        type=Path,
        help=(
            "JSON file to serve instead of the bundled groups: one AssignmentList "
            "body (served as group 123) or an object mapping group ids to bodies"
        ),
    )
    server.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP
    )
    server.set_defaults(handler=_run_fake_server, parser=server)


def _run(arguments: argparse.Namespace) -> int:
    """Run the chosen command, turning errors into one line and an exit status."""
    debug = bool(arguments.debug)
    with _library_log_to_stderr(debug=debug):
        try:
            return int(arguments.handler(arguments))
        except UsageError as error:
            command_parser = cast(argparse.ArgumentParser, arguments.parser)
            command_parser.error(_one_line(str(error)))  # raises SystemExit(2)
        except konstantly.KonstantlyError as error:
            if debug:
                traceback.print_exc()
            print(_describe(error), file=sys.stderr)
            return _exit_status_of(error)
        except OutputError as error:
            if debug:
                traceback.print_exc()
            print(f"OutputError: {_one_line(str(error))}", file=sys.stderr)
            return EXIT_FAILURE
        except BrokenPipeError:
            # The reader went away (`konstantly ... | head`): nothing left to say.
            _silence_stdout()
            return EXIT_FAILURE
        except Exception as error:
            if debug:
                traceback.print_exc()
                print(f"Unexpected {_describe(error)}", file=sys.stderr)
                return EXIT_FAILURE
            print(
                f"Unexpected {_describe(error)} "
                "(run again with --debug to see the traceback)",
                file=sys.stderr,
            )
            return EXIT_FAILURE
    return EXIT_USAGE  # pragma: no cover -- parser.error() never returns


def _run_assignments(arguments: argparse.Namespace) -> int:
    command = _assignments_command(arguments)
    client_options = _client_options(command)

    with konstantly.Konstantly(**client_options) as client:
        results = _fetch_groups(client, command)

    failures = {
        group_id: result
        for group_id, result in results.items()
        if isinstance(result, konstantly.KonstantlyError)
    }
    if failures and not command.several_groups:
        # One group asked for: its error is the command's error.
        raise next(iter(failures.values()))

    now = datetime.now(UTC)
    rows = _select_rows(results, command, now=now)
    if len(failures) < len(results):
        _write_output(rows, command, now=now)

    shortfalls = _shortfalls(results)
    for line in shortfalls:
        print(line, file=sys.stderr)
    return EXIT_FAILURE if shortfalls else EXIT_OK


def _shortfalls(results: dict[int, GroupResult]) -> list[str]:
    """One line per group that failed or arrived incomplete, in the order asked."""
    lines = []
    for group_id, result in results.items():
        if isinstance(result, konstantly.KonstantlyError):
            lines.append(f"group {group_id}: {_describe(result)}")
        elif not result.complete:
            lines.append(
                f"group {group_id}: incomplete: {len(result)} of "
                f"{result.total_count} assignments arrived"
            )
    return lines


def _run_fake_server(arguments: argparse.Namespace) -> int:
    # The fake site is a test kit; a plain `konstantly assignments` never loads it.
    from konstantly import testing

    try:
        # With no key given, the site takes $KONSTANTLY_API_KEY like the client.
        testing.serve(host=arguments.host, port=arguments.port, data=arguments.data)
    except testing.FakeSiteError as error:
        print(_describe(error), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _fetch_groups(
    client: konstantly.Konstantly, command: AssignmentsCommand
) -> dict[int, GroupResult]:
    """Fetch the groups side by side, keeping a group's error in place of its list."""
    with _progress(len(command.group_ids)) as on_result:
        results = client.groups.list_assignments_many(
            command.group_ids,
            concurrency=command.concurrency,
            return_exceptions=True,
            on_result=on_result,
        )
    for result in results.values():
        if isinstance(result, konstantly.AuthenticationError):
            # A rejected key fails every group alike: one line says it all.
            raise result
    return results


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int, GroupResult], None] | None]:
    """A progress bar on stderr while groups arrive, when a person watches it."""
    if total < 2 or not sys.stderr.isatty():
        yield None
        return

    progress = Progress(
        TextColumn("groups"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        # Log lines print above the bar through this console (see
        # StderrHandler); soft wrap leaves each whole, for the terminal to wrap.
        console=Console(stderr=True, soft_wrap=True),
        transient=True,
    )
    task = progress.add_task("groups", total=total)
    with progress:
        # Called from the worker threads; rich's Progress takes care of locking.
        yield lambda group_id, result: progress.advance(task)


def _assignments_command(arguments: argparse.Namespace) -> AssignmentsCommand:
    if arguments.api_key is not None:
        raise UsageError(
            "the API key is not taken from the command line, where shell history "
            f"and process lists would keep it: set {API_KEY_VARIABLE} or pass "
            "--api-key-file PATH"
        )

    group_ids = list(arguments.group_ids)
    if arguments.groups_file is not None:
        group_ids.extend(_read_groups_file(arguments.groups_file))
    if not group_ids and arguments.groups_file is not None:
        raise UsageError(
            f"the groups file {_groups_file_name(arguments.groups_file)} holds no "
            "group ids, and no GROUP_ID was given"
        )
    if not group_ids:
        raise UsageError("give at least one GROUP_ID, or --groups-file")
    if arguments.output is not None:
        _check_output_path(arguments.output)

    return AssignmentsCommand(
        group_ids=tuple(dict.fromkeys(group_ids)),  # each group once, in order
        output_format=arguments.output_format,
        sort=arguments.sort,
        overdue=arguments.overdue,
        due_within=arguments.due_within,
        zone=arguments.zone,
        site=arguments.site,
        base_url=arguments.base_url,
        api_key_file=arguments.api_key_file,
        output=arguments.output,
        concurrency=arguments.concurrency,
    )


def _read_groups_file(path: Path) -> list[int]:
    name = _groups_file_name(path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_GROUPS_FILE_SIZE + 1)
        else:
            with path.open("rb") as groups_file:
                data = groups_file.read(MAX_GROUPS_FILE_SIZE + 1)
    except OSError as error:
        raise UsageError(
            f"cannot read the groups file {name}: {error.strerror}"
        ) from None
    if len(data) > MAX_GROUPS_FILE_SIZE:
        raise UsageError(
            f"the groups file {name} is longer than "
            f"{MAX_GROUPS_FILE_SIZE // 2**20} MiB, a million groups and more; "
            "split it into several runs"
        )
    # A byte order mark, as Windows editors write, is no part of the text.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            f"cannot read the groups file {name}: not UTF-8 text"
        ) from None

    group_ids = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.partition("#")[0].strip()
        if not entry:
            continue
        try:
            group_ids.append(parse_group_id(entry))
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"{path}, line {number}: {error}") from None
    return group_ids


def _check_output_path(path: Path) -> None:
    """Refuse, before anything is fetched, an -o FILE that can never be written."""
    if path.is_dir():
        raise UsageError(f"--output {str(path)!r} is a directory, not a file")

    directory = Path(os.path.realpath(path)).parent  # past any symbolic link
    if not directory.is_dir():
        raise UsageError(
            f"cannot write --output {str(path)!r}: there is no directory "
            f"{str(directory)!r}"
        )


def _groups_file_name(path: Path) -> str:
    return "on stdin" if str(path) == "-" else repr(str(path))


def _client_options(command: AssignmentsCommand) -> dict[str, Any]:
    """The client's keyword arguments; what is not given falls to its defaults."""
    options: dict[str, Any] = {
        "api_key": _api_key(command.api_key_file),
        "site": command.site,
        "base_url": command.base_url,
    }
    if command.zone is not None:
        options["timezone"] = command.zone
    return options


def _api_key(api_key_file: Path | None) -> str:
    if api_key_file is None:
        api_key = os.environ.get(API_KEY_VARIABLE, "").strip()
        if not api_key:
            message = (
                f"No API key: set {API_KEY_VARIABLE} or pass --api-key-file PATH "
                "(the key is on the site's Settings > API page)."
            )
            raise konstantly.ConfigurationError(message)
        return api_key

    return _read_api_key_file(api_key_file)


def _read_api_key_file(path: Path) -> str:
    """The key on the first line of `path`; messages name the file, never the key."""
    name = str(path)
    try:
        with path.open("rb") as key_file:
            data = key_file.read(MAX_API_KEY_FILE_SIZE + 1)
    except OSError as error:
        message = f"Cannot read the API key file {name!r}: {error.strerror}."
        raise konstantly.ConfigurationError(message) from None

    if len(data) > MAX_API_KEY_FILE_SIZE:
        message = (
            f"The API key file {name!r} is longer than "
            f"{MAX_API_KEY_FILE_SIZE // 1024} KiB, which no key file is; pass a "
            "file that holds the key on its first line."
        )
        raise konstantly.ConfigurationError(message)

    # bytes.splitlines() ends a line at \n, \r or \r\n only, as reading the file
    # as text would.
    first_line = next(iter(data.splitlines()), b"")
    try:
        api_key = first_line.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        message = f"Cannot read the API key file {name!r}: not UTF-8 text."
        raise konstantly.ConfigurationError(message) from None

    if not api_key:
        message = f"The API key file {name!r} has no key on its first line."
        raise konstantly.ConfigurationError(message)
    # The client refuses such a key too (a header carries visible ASCII only,
    # RFC 9110, section 5.5), but its message points at api_key and the
    # environment variable, not at this file.
    if not is_visible_ascii(api_key):
        message = (
            f"The first line of the API key file {name!r} holds spaces, control "
            "characters or non-ASCII letters, which no key has; check the file "
            "for a copying mistake."
        )
        raise konstantly.ConfigurationError(message)
    return api_key


def _select_rows(
    results: dict[int, GroupResult], command: AssignmentsCommand, *, now: datetime
) -> list[_output.Row]:
    rows: list[_output.Row] = []
    for group_id, result in results.items():
        if isinstance(result, konstantly.KonstantlyError):
            continue
        rows.extend(
            (group_id, assignment) for assignment in _filter(result, command, now)
        )
    return _output.sort_rows(rows, by=command.sort)


def _filter(
    result: GroupAssignments, command: AssignmentsCommand, now: datetime
) -> Iterable[Assignment]:
    """The group's assignments that pass --overdue and --due-within (either one)."""
    if not command.overdue and command.due_within is None:
        return result

    wanted: list[Assignment] = []
    if command.overdue:
        wanted.extend(result.overdue(now=now))
    if command.due_within is not None:
        wanted.extend(result.due_within(command.due_within, now=now))
    # Keep the group's own order, whichever filter let an assignment through.
    return [assignment for assignment in result if assignment in wanted]


def _write_output(
    rows: Sequence[_output.Row], command: AssignmentsCommand, *, now: datetime
) -> None:
    """Write the rows to -o FILE or stdout, raising OutputError when that fails."""
    if command.output is not None:
        try:
            _write_file(command.output, _render(rows, command, now=now))
        except OSError as error:
            message = (
                f"cannot write the output to {str(command.output)!r}: {_reason(error)}"
            )
            raise OutputError(message) from None
        return

    if sys.stdout is None:
        # Started with stdout closed (`konstantly ... >&-`).
        raise OutputError("cannot write the output: stdout is closed")
    try:
        _print_output(rows, command, now=now)
    except BrokenPipeError:
        raise  # the reader went away; `_run` ends quietly
    except (OSError, UnicodeEncodeError) as error:
        _silence_stdout()  # so that flushing at exit cannot fail a second time
        message = f"cannot write the output: {_reason(error)}"
        raise OutputError(message) from None


def _render(
    rows: Sequence[_output.Row], command: AssignmentsCommand, *, now: datetime
) -> str:
    return _output.render(
        rows,
        output_format=command.output_format,
        zone=command.display_zone,
        now=now,
        show_group=command.several_groups,
    )


def _print_output(
    rows: Sequence[_output.Row], command: AssignmentsCommand, *, now: datetime
) -> None:
    """Print the rows on stdout: a table at the terminal's width when it is one."""
    if command.output_format == "table" and _on_terminal():
        table = _output.build_table(
            rows,
            zone=command.display_zone,
            now=now,
            show_group=command.several_groups,
        )
        Console(highlight=False, emoji=False).print(table)
        return

    sys.stdout.write(_render(rows, command, now=now))
    sys.stdout.flush()


def _write_file(path: Path, text: str) -> None:
    """Write text to path whole, or leave what was there untouched.

    The text goes to a new file beside the target, which then takes the
    target's place (`os.replace`, atomic on POSIX), so a failure half way,
    such as a full disk, leaves no empty or cut-off report. The new file gets
    the old one's mode, or a new file's (0o666 less the umask); as with any
    file replaced by renaming, hard links to the old one keep the old text.

    A symbolic link, a device or a pipe is written through, as the shell's
    `>` would: `/dev/stdout` is a link to whatever stdout is, and replacing
    that would throw away what others wrote to it.
    """
    data = text.encode("utf-8")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with path.open("wb") as stream:
            stream.write(data)
        return
    if path.exists() and not os.access(path, os.W_OK):
        # Renaming would get past a read-only file, which `>` would not.
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _reason(error: OSError | UnicodeEncodeError) -> str:
    if isinstance(error, UnicodeEncodeError):
        return (
            f"stdout's encoding, {error.encoding}, cannot write "
            f"{error.object[error.start : error.end]!r}; set PYTHONIOENCODING=utf-8 "
            "or write to a file with -o"
        )
    return error.strerror or str(error)


def _on_terminal() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


@contextlib.contextmanager
def _library_log_to_stderr(*, debug: bool) -> Iterator[None]:
    """Send the library's log to stderr: every record with --debug, else warnings.

    A handler already on the logger (from `$KONSTANTLY_LOG`, or a program that
    embeds the command) is kept instead of adding a second one. The logger is
    left as it was found, since `main` may run many times in one process.
    """
    previous_level = _logger.level
    handler: logging.Handler | None = None
    if not _logger.handlers:
        handler = StderrHandler()
        if debug:
            handler.setFormatter(logging.Formatter(_DEBUG_LOG_FORMAT))
        else:
            handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
            handler.setLevel(logging.WARNING)
        _logger.addHandler(handler)
    if debug:
        _logger.setLevel(logging.DEBUG)

    try:
        yield
    finally:
        if handler is not None:
            _logger.removeHandler(handler)
        _logger.setLevel(previous_level)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {_one_line(str(error))}"


def _one_line(text: str) -> str:
    """The text on one line, safe for a terminal: a server's message may hold ESC."""
    return " ".join(_output.safe_text(text).split())


def _exit_status_of(error: konstantly.KonstantlyError) -> int:
    usage_errors = (konstantly.ConfigurationError, konstantly.InvalidArgumentError)
    return EXIT_USAGE if isinstance(error, usage_errors) else EXIT_FAILURE


def _exit_status(code: str | int | None) -> int:
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(_one_line(code), file=sys.stderr)
    return EXIT_FAILURE


def _silence_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass
