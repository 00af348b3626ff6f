"""The connectors library stands alone: no Django."""

from __future__ import annotations

import subprocess
import sys


def test_the_connectors_never_import_django():
    code = (
        "import sys\n"
        "import rapport.connectors.bluesky, rapport.connectors.email, rapport.connectors.feeds\n"
        "import rapport.connectors.mastodon, rapport.connectors.text, rapport.connectors.webhook\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]"
