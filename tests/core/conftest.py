from datetime import date

import pytest

TODAY = date(2026, 11, 22)


@pytest.fixture
def today() -> date:
    return TODAY
