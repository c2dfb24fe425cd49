"""One scan of the installed packages for Streamlit components per test session.

Every new `AppTest` scans the metadata of every installed distribution for Streamlit
component manifests before its first run: about 0.2 s each, some 300 times in the unit
tier (measured: 14% of its time). The installed packages cannot change during a test
run, so the scan's answer is kept after the first one; each AppTest still registers what
it finds in its own component registry. A pytest plugin (tests/conftest.py loads it).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _component_scan_once() -> Iterator[None]:
    if "streamlit.testing.v1" not in sys.modules:  # no AppTest in this session
        yield
        return
    from streamlit.components.v2 import manifest_scanner

    scan = functools.cache(manifest_scanner.scan_component_manifests)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", scan)
        yield
