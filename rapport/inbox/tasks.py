from rapport.lib.tasks import task  # noqa: F401
