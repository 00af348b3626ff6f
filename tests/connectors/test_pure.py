"""The connectors library stands alone: no Django."""

from __future__ import annotations

import subprocess
import sys

from rapport.connectors import Connector
from rapport.connectors.bluesky import BlueskyConnector
from rapport.connectors.email import EmailAccount, EmailConnector
from rapport.connectors.feeds import FeedConnector
from rapport.connectors.mastodon import MastodonConnector


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


def test_every_adapter_follows_the_connector_protocol():
    adapters: list[Connector] = [
        MastodonConnector("http://127.0.0.1:9", "token"),
        BlueskyConnector("brand.test", "password", base_url="http://127.0.0.1:9"),
        EmailConnector(
            EmailAccount(address="a@b.test", imap_host="127.0.0.1", smtp_host="127.0.0.1")
        ),
        FeedConnector("http://127.0.0.1:9/feed"),
    ]

    assert all(isinstance(adapter, Connector) for adapter in adapters)
    assert [a.platform for a in adapters] == ["mastodon", "bluesky", "email", "reviews"]
