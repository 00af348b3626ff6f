import zoneinfo

from rapport.accounts.models import Organisation


def test_the_organisation_zone_is_its_named_time_zone():
    assert Organisation(time_zone="Asia/Tokyo").zone == zoneinfo.ZoneInfo("Asia/Tokyo")


def test_an_unknown_or_empty_time_zone_name_falls_back_to_utc():
    for name in ("Mars/Olympus_Mons", "", "../../etc/passwd"):
        assert Organisation(time_zone=name).zone == zoneinfo.ZoneInfo("UTC")
