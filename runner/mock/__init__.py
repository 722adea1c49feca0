"""An in-process mock of the OSVI Chat v1 API, also served over HTTP by ``osvi-mock``.

Typical embedded use, one engine per scenario::

    agent = MockAgent.from_spec(spec)
    engine = Engine(agents={"agent_abc": agent}, token=EMBEDDED_MOCK_TOKEN, clock=ManualClock())
    app = create_app(engine)   # give it to httpx.ASGITransport(app=app)
"""

from runner.language.agents_file import load_agents_file
from runner.language.mock_agent import MockAgent
from runner.language.mock_spec import validate_agent_spec
from runner.mock.app import create_app
from runner.mock.clock import ManualClock
from runner.mock.demo import DEMO_AGENT_UUID, demo_agent_spec, demo_agents
from runner.mock.engine import Engine, MockAnswer
from runner.mock.sessions import Limits

__all__ = [
    "DEMO_AGENT_UUID",
    "Engine",
    "Limits",
    "ManualClock",
    "MockAgent",
    "MockAnswer",
    "create_app",
    "demo_agent_spec",
    "demo_agents",
    "load_agents_file",
    "validate_agent_spec",
]
