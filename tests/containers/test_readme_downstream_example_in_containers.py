"""The documented downstream test (docs/devstack.md, "With a Docker engine"), run verbatim as another team
would run it: copied into a folder of its own and run by pytest there, with none of this repository's
conftest, plugins or settings, only the installed `checkout_platform.testing`. So the example stays true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "devstack.md"
FILE_NAME = "test_checkout_platform.py"


def documented_example() -> str:
    """The document's fenced python block that starts with `# test_checkout_platform.py`."""
    blocks = re.findall(r"```python\n(.*?)```", DOCUMENT.read_text(), flags=re.S)
    found = [block for block in blocks if block.startswith(f"# {FILE_NAME}")]
    assert len(found) == 1, (
        f"one python block in {DOCUMENT.name} starting with `# {FILE_NAME}`, found {len(found)}"
    )
    return found[0]


def test_the_documented_downstream_test_passes_on_its_own(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text(documented_example())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            FILE_NAME,
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout, result.stdout[-2000:]
