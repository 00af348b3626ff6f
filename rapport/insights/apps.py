from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "rapport.insights"
    label = "insights"
    verbose_name = "Insights: dashboards, brand-risk alerts, reports, recommendations"

    def ready(self) -> None:
        # Brand-risk alerts (I2): the detector watches every committed ingest batch.
        from rapport.inbox import services as inbox_services
        from rapport.insights import alerts, tasks  # noqa: F401  (the monthly report mailing)

        if alerts.on_ingested not in inbox_services.ingested_hooks:
            inbox_services.ingested_hooks.append(alerts.on_ingested)

        # Service rollups (I1): registers the periodic refresh of the dashboards' facts.
        # Medians on SQLite: an aggregate registered on every connection (quantiles.py).
        from django.db import connections
        from django.db.backends.signals import connection_created

        from rapport.insights import facts  # noqa: F401
        from rapport.insights.quantiles import register_sqlite_aggregate

        connection_created.connect(register_sqlite_aggregate, dispatch_uid="rapport_quantiles")
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                register_sqlite_aggregate(None, connection)
