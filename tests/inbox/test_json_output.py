"""The API's orjson output reads exactly as Django's JSON encoder wrote it."""

import datetime as dt
import json
import re
import uuid
from decimal import Decimal

from ninja.responses import NinjaJSONEncoder

from rapport.inbox import services
from rapport.lib import jsonout
from tests.inbox.conftest import event


def test_fast_json_matches_djangos_encoder():
    data = {
        "at": dt.datetime(2026, 11, 23, 14, 5, 6, 789123, tzinfo=dt.UTC),
        "whole_second": dt.datetime(2026, 11, 23, 14, 5, 6, tzinfo=dt.UTC),
        "offset": dt.datetime(2026, 11, 23, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "day": dt.date(2026, 11, 23),
        "time": dt.time(9, 30, 0, 250000),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "amount": Decimal("12.50"),
        "text": 'Café ☕ "quoted" <b>',
        "nested": [{"n": 1, "f": 0.1, "none": None, "ok": True}],
    }

    assert json.loads(jsonout.dumps(data)) == json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def test_the_inbox_list_sends_djangos_time_format(alice, channel, api_as):
    services.ingest(channel, [event("Where is my order?")])

    response = api_as(alice).get("/conversations")

    assert response["Content-Type"] == "application/json"
    row = response.json()["items"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", row["last_message_at"])
