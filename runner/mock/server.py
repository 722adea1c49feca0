"""``osvi-mock``: the mock OSVI Chat v1 API as a real HTTP server.

Any client, including the scenario runner's live mode, can point at it. It logs
one line per request (method, path, status, time) and never a header, so the
token cannot leak into logs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from runner.core.errors import Problem, ScenarioFileError
from runner.core.redact import Redactor
from runner.core.text import shorten
from runner.language.agents_file import load_agents_file
from runner.language.mock_agent import MockAgent
from runner.mock.app import create_app
from runner.mock.clock import ManualClock
from runner.mock.connections import (
    DEFAULT_READ_TIMEOUT,
    LISTEN_BACKLOG,
    ConnectionGuard,
    default_max_connections,
    guarded_protocol,
    quiet_repeats,
)
from runner.mock.demo import DEMO_FILE, demo_agents
from runner.mock.engine import Engine
from runner.mock.sessions import (
    DEFAULT_MAX_HISTORY,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MAX_TEXT,
    Limits,
)

TOKEN_ENV = "OSVI_MOCK_TOKEN"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
_log = logging.getLogger("osvi_mock")
_access = logging.getLogger("osvi_mock.access")

DESCRIPTION = """\
A mock of the OSVI Chat v1 API (POST /v1/chat/inbound, /v1/chat/session/{id}/support,
/v1/chat/session/{id}/inject_context) with scripted agents, for testing chat clients
without the real platform. See docs/mock.md."""

SERVE_EPILOG = f"""\
examples:
  osvi-mock serve                                  the demo agent (agent_demo) on :8080, no auth
  {TOKEN_ENV}=secret-token osvi-mock serve --agents agents.yaml --port 9000

The token is better given through {TOKEN_ENV} than --token: command lines are
visible to other users of the machine. Without any token, auth is off.
Mock-only endpoints: POST /_mock/clock {{"advance": "31m"}}, GET /_mock/sessions/<id>,
GET /_mock/health (no token needed)."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535; 0 = any free)")
    return port


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small (at least 1)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is out of range (more than 0, at most 3600)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="osvi-mock", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="serve the mock API over HTTP", description=DESCRIPTION,
        epilog=SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
    serve.add_argument("--port", type=_port, default=8080,
                       help="port to listen on (default: 8080; 0 picks a free port)")
    serve.add_argument("--token", default=None,
                       help=f"API-Token clients must send (default: ${TOKEN_ENV}; none: auth off)")
    serve.add_argument("--agents", metavar="FILE", type=Path, default=None,
                       help="YAML file mapping agent uuids to mock agents "
                            f"(default: the demo agent, {DEMO_FILE.name})")
    serve.add_argument("--log-level", choices=LOG_LEVELS, default="info",
                       help="info logs one line per request (default: info)")
    limits = serve.add_argument_group("limits (see docs/mock.md)")
    limits.add_argument("--max-sessions", type=_count, default=DEFAULT_MAX_SESSIONS,
                        metavar="N", help="sessions kept; beyond it the oldest closed, else the "
                                          f"longest quiet, goes (default: {DEFAULT_MAX_SESSIONS})")
    limits.add_argument("--max-history", type=_count, default=DEFAULT_MAX_HISTORY, metavar="N",
                        help="history entries, context entries and pending whispers kept per "
                             f"session, the last N (default: {DEFAULT_MAX_HISTORY})")
    limits.add_argument("--max-text", type=_count, default=DEFAULT_MAX_TEXT, metavar="N",
                        help="characters in one message, context entry or customer id; longer "
                             f"is refused (default: {DEFAULT_MAX_TEXT})")
    limits.add_argument("--max-connections", type=_count, default=None, metavar="N",
                        help="open connections; beyond it the oldest idle ones are closed "
                             "(default: what the file descriptor limit allows, at most 4096)")
    limits.add_argument("--read-timeout", type=_seconds, default=DEFAULT_READ_TIMEOUT,
                        metavar="SECONDS",
                        help="time a client has to send a whole request, from connecting or "
                             f"from its previous answer (default: {DEFAULT_READ_TIMEOUT:g})")
    check = commands.add_parser(
        "check", help="check an agents file and exit",
        description="Check an agents file: print each problem as file:line and exit 2 if any.")
    check.add_argument("agents", metavar="FILE", type=Path, help="the agents file to check")
    return parser


def _agents(path: Path | None, token: str | None) -> dict[str, MockAgent]:
    """The agents to serve; an agents file's warnings are printed, and serving goes on."""
    if path is None:
        return demo_agents()
    warnings: list[Problem] = []
    agents = load_agents_file(path, warnings)
    for warning in warnings:
        print(f"warning: {_masked(warning.format(), token)}", file=sys.stderr)
    return agents


def _report(error: ScenarioFileError, token: str | None) -> int:
    for problem in error.problems:
        print(_masked(problem.format(), token), file=sys.stderr)
    return 2


def _masked(text: str, token: str | None) -> str:
    """``text`` without the token: an agents file quoted back may hold it anywhere."""
    return Redactor([token]).redact(text) if token else text


def _shown_path(path: str) -> str:
    """A request path made safe for one log line (no control characters, bounded)."""
    if not path.isprintable():
        path = path.encode("unicode_escape").decode("ascii")
    return shorten(path, 200)


def _request_logger(token: str | None) -> Callable[[str, str, int, float], None]:
    """One log line per request; a path holding the token (a client may put anything
    in a session id) is masked like every other output of the project."""
    redact = Redactor([token]).redact

    def log_request(method: str, path: str, status: int, ms: float) -> None:
        if _access.isEnabledFor(logging.INFO):
            _access.info("%s %s %d %.1fms", method, redact(_shown_path(path)), status, ms)

    return log_request


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        # Listen now, so clients that read the start-up line can connect at once;
        # connections queue until uvicorn's loop accepts them.
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _stop(signum: int, frame: FrameType | None) -> None:
    # Outside uvicorn's own handling (during start-up, and when it re-raises the
    # signal after a graceful shutdown) a stop request ends the program quietly.
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    import uvicorn  # imported here so `osvi-mock check` and --help stay fast

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # uvicorn's start-up chatter would repeat what our start-up line says.
    logging.getLogger("uvicorn").setLevel(max(logging.WARNING, logging.getLogger().level))
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    if args.token is not None and not args.token:
        print("osvi-mock: --token must not be empty (leave it out to turn auth off)",
              file=sys.stderr)
        return 2
    try:
        agents = _agents(args.agents, token)
    except ScenarioFileError as error:
        return _report(error, token)
    try:
        sock = _listen(args.host, args.port)
    except OSError as error:
        print(f"osvi-mock: cannot listen on {args.host}:{args.port}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    limits = Limits(max_sessions=args.max_sessions, max_history=args.max_history,
                    max_text=args.max_text)
    engine = Engine(agents, token=token, clock=ManualClock(), limits=limits)
    app = create_app(engine, on_request=_request_logger(token))
    # uvicorn picks httptools when it is installed; h11 (pure Python) is slower.
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    max_connections = args.max_connections or default_max_connections()
    guard = ConnectionGuard(max_connections, read_timeout=args.read_timeout)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", server_header=False,
        timeout_graceful_shutdown=5, http=guarded_protocol(_protocol_class(parser), guard),
        backlog=LISTEN_BACKLOG, timeout_keep_alive=5,
        # The guard keeps connections under the cap; a request beyond it (every open
        # connection busy) answers 503 rather than queueing without bound.
        limit_concurrency=max_connections + 1,
        h11_max_incomplete_event_size=64 * 1024)  # request line and headers
    server = uvicorn.Server(config)
    quiet_repeats("asyncio", "uvicorn.error")
    _log.info("HTTP parser: %s", parser)
    _log.info("limits: %d sessions, %d history entries each, %d characters a text, "
              "%d connections, %gs to send a request", limits.max_sessions,
              limits.max_history, limits.max_text, max_connections, args.read_timeout)
    if token is None:
        _log.warning("auth is OFF: requests need no API-Token "
                     "(set %s or --token to require one)", TOKEN_ENV)
    else:
        _log.info("auth is on: requests must send the API-Token header")
    # Printed last: whoever waits for this line may rely on everything above.
    print(f"osvi-mock: serving the OSVI Chat v1 API at {_url(sock)} "
          f"(agents: {', '.join(sorted(agents))})", flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("osvi-mock: stopped", flush=True)
    return 0


def _protocol_class(parser: str) -> type[asyncio.Protocol]:
    if parser == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        protocol: type[asyncio.Protocol] = HttpToolsProtocol
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        protocol = H11Protocol
    return protocol


def check(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV) or None
    try:
        agents = _agents(args.agents, token)
    except ScenarioFileError as error:
        return _report(error, token)
    print(f"{args.agents}: ok ({', '.join(sorted(agents))})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return 2
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return serve(args) if args.command == "serve" else check(args)
    except KeyboardInterrupt:
        print("osvi-mock: stopped", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
