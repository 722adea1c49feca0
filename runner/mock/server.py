"""``osvi-mock``: the mock OSVI Chat v1 API as a real HTTP server.

Any client, including the scenario runner's live mode, can point at it. It logs
one line per request (method, path, status, time) and never a header, so the
token cannot leak into logs.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from runner.errors import ScenarioFileError
from runner.mock.agent import MockAgent
from runner.mock.app import create_app
from runner.mock.clock import ManualClock
from runner.mock.demo import DEMO_FILE, demo_agents
from runner.mock.engine import Engine
from runner.mock.spec import load_agents_file
from runner.redact import Redactor

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
    check = commands.add_parser(
        "check", help="check an agents file and exit",
        description="Check an agents file: print each problem as file:line and exit 2 if any.")
    check.add_argument("agents", metavar="FILE", type=Path, help="the agents file to check")
    return parser


def _agents(path: Path | None) -> dict[str, MockAgent]:
    return demo_agents() if path is None else load_agents_file(path)


def _report(error: ScenarioFileError) -> int:
    for problem in error.problems:
        print(problem.format(), file=sys.stderr)
    return 2


def _shown_path(path: str) -> str:
    """A request path made safe for one log line (no control characters, bounded)."""
    if not path.isprintable():
        path = path.encode("unicode_escape").decode("ascii")
    return path if len(path) <= 200 else path[:197] + "..."


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
        sock.listen(2048)
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
        agents = _agents(args.agents)
    except ScenarioFileError as error:
        return _report(error)
    try:
        sock = _listen(args.host, args.port)
    except OSError as error:
        print(f"osvi-mock: cannot listen on {args.host}:{args.port}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    engine = Engine(agents, token=token, clock=ManualClock())
    app = create_app(engine, on_request=_request_logger(token))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                            server_header=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    # uvicorn picks httptools when it is installed; h11 (pure Python) is slower.
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    _log.info("HTTP parser: %s", parser)
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


def check(args: argparse.Namespace) -> int:
    try:
        agents = load_agents_file(args.agents)
    except ScenarioFileError as error:
        return _report(error)
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
