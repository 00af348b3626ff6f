import base64
import datetime as dt

import pytest

from rapport.lib.cursors import decode_cursor, encode_cursor
from rapport.lib.errors import DomainError


def test_a_cursor_carries_its_time_and_id_back():
    at = dt.datetime(2026, 10, 31, 23, 59, 59, 123456, tzinfo=dt.UTC)

    assert decode_cursor(encode_cursor(at, 42)) == (at, 42)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b'["yesterday", 3]').decode(),
        base64.urlsafe_b64encode(b'["2026-10-31T10:00:00", 3]').decode(),  # no offset
        base64.urlsafe_b64encode(b'["2026-10-31T10:00:00+00:00", "x"]').decode(),
    ],
)
def test_a_forged_or_garbled_cursor_is_a_clear_error(cursor):
    with pytest.raises(DomainError) as caught:
        decode_cursor(cursor)
    assert caught.value.code == "bad_cursor"
