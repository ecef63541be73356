"""Live-users tests: every push goes to a recording sender unless a test installs another."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live.kit import RecordingSender


@pytest.fixture
def sender() -> Iterator[RecordingSender]:
    from chalicelib.live.senders import use_sender

    recording = RecordingSender()
    use_sender(recording)
    yield recording
    use_sender(None)
