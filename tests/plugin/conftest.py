"""Inner pytest runs start without logfire's pytest plugins, except where a test asks for them.

logfire is a test dependency (for the `capfire` suites of issue 14) and registers two pytest
plugins that import it, and with it the OpenTelemetry SDK, in every pytest run: about 0.6 s for
each of the many inner runs here, and an SDK import that a no-op check must not see.
"""

from __future__ import annotations

import pytest

WITHOUT_LOGFIRE = "-p no:logfire -p no:pytest_logfire"


@pytest.fixture(autouse=True)
def _inner_runs_without_logfire(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts
        monkeypatch.setenv("PYTEST_ADDOPTS", WITHOUT_LOGFIRE)
