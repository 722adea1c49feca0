from tests.conftest import WriteFile as WriteScenario

__all__ = ["WriteScenario"]
