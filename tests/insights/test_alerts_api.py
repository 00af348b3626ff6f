"""Alerts, the report and recommendations over HTTP: who may read and act, and what is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from rapport.accounts.models import AuditEntry
from rapport.cli import main as cli
from rapport.connectors.events import EventKind, InboundEvent
from rapport.inbox.services import ingest
from rapport.insights import services, tasks
from rapport.insights.models import Alert, Recommendation, ReportMailing, ReportRecipient
from tests.insights.test_alerts_sandbox import sandbox_channel

AT = dt.datetime(2026, 10, 14, 19, 0, tzinfo=dt.UTC)


@pytest.fixture
def alert(org):
    channel = sandbox_channel(org)
    result = ingest(
        channel,
        [
            InboundEvent(
                platform="sandbox",
                external_id=f"a{n}",
                kind=EventKind.MENTION,
                text=f"<b>Order {n}</b> charged twice, furious",
                author_handle=f"c{n}",
                created_at=AT + dt.timedelta(minutes=n),
            )
            for n in range(3)
        ],
    )
    made = Alert.objects.create(
        organisation=org,
        title="Spike in negative messages about “charged”: 9 in 30 min, 9× the usual",
        scopes=["negative"],
        terms=["charged"],
        started_at=AT,
        triggered_at=AT + dt.timedelta(minutes=20),
        last_signal_at=AT + dt.timedelta(minutes=20),
        observed=9,
        expected=1.0,
        p_value=1e-6,
        message_count=3,
    )
    made.messages.add(*result.message_ids)
    return made


def test_a_supervisor_lists_alerts_with_their_messages(
    api_as, sam, alert, django_assert_max_num_queries
):
    client = api_as(sam)

    with django_assert_max_num_queries(8):
        response = client.call("get", "/insights/alerts")

    assert response.status_code == 200
    [row] = response.json_body
    assert row["id"] == str(alert.public_id) and row["observed"] == 9
    assert [m["text"][:14] for m in row["messages"]] == [
        "<b>Order 0</b>",
        "<b>Order 1</b>",
        "<b>Order 2</b>",
    ]
    assert row["acknowledged_at"] is None


def test_acknowledging_records_who_and_what_was_done_once(api_as, sam, morgan, alert):
    response = api_as(sam).call(
        "post",
        f"/insights/alerts/{alert.public_id}/acknowledge",
        {"action_taken": "Refunds issued"},
    )
    again = api_as(morgan).call(
        "post", f"/insights/alerts/{alert.public_id}/acknowledge", {"action_taken": "Me too"}
    )

    assert response.status_code == 200
    assert response.json_body["acknowledged_by"]["email"] == sam.email
    assert response.json_body["action_taken"] == "Refunds issued"
    assert again.status_code == 409 and again.json_body["code"] == "already_acknowledged"
    assert AuditEntry.objects.filter(action="alert.acknowledged").count() == 1


def test_acknowledging_needs_a_note_and_the_right_role(api_as, sam, alice, ana, alert):
    empty = api_as(sam).call(
        "post", f"/insights/alerts/{alert.public_id}/acknowledge", {"action_taken": "   "}
    )
    agent = api_as(alice).call(
        "post", f"/insights/alerts/{alert.public_id}/acknowledge", {"action_taken": "x"}
    )
    analyst = api_as(ana).call(
        "post", f"/insights/alerts/{alert.public_id}/acknowledge", {"action_taken": "x"}
    )

    assert empty.status_code == 400 and empty.json_body["code"] == "note_required"
    assert agent.status_code == 403 and analyst.status_code == 403
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is None


def test_an_outsider_sees_no_alert_and_cannot_acknowledge(api_as, web_as, charlie, alert):
    client = api_as(charlie)

    assert client.call("get", "/insights/alerts").json_body == []
    assert client.call("get", f"/insights/alerts/{alert.public_id}").status_code == 404
    ack = client.call(
        "post", f"/insights/alerts/{alert.public_id}/acknowledge", {"action_taken": "x"}
    )
    assert ack.status_code == 404
    page = web_as(charlie).post(
        f"/insights/alerts/{alert.public_id}/acknowledge/", {"action_taken": "x"}
    )
    assert page.status_code == 404
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is None


def test_the_alerts_page_escapes_customer_text_and_acknowledges(web_as, sam, alert):
    client = web_as(sam)

    page = client.get("/insights/alerts/")
    done = client.post(
        f"/insights/alerts/{alert.public_id}/acknowledge/",
        {"action_taken": "Apology pinned"},
        follow=True,
    )

    assert page.status_code == 200
    assert (
        "&lt;b&gt;Order 0&lt;/b&gt;" in page.content.decode()
        and "<b>Order 0" not in page.content.decode()
    )
    assert "Apology pinned" in done.content.decode()
    assert Alert.objects.get(pk=alert.pk).acknowledged_by == sam


# --- The report and recommendations -------------------------------------------------------------


@pytest.fixture
def recommendation(org):
    return Recommendation.objects.create(
        organisation=org,
        month=dt.date(2026, 10, 1),
        rule="weekend_replies",
        title="First replies at weekends took a median 4 h against a standard of 1 h",
        action="Roster one agent on Saturdays",
        owner="Supervisor (rota)",
        evidence={"weekend_median_seconds": 14400, "standard_minutes": 60},
    )


def test_the_report_api_and_page_and_pdf(api_as, web_as, ana, org):
    api = api_as(ana).call("get", "/insights/reports/2026-10")
    page = web_as(ana).get("/insights/reports/2026-10/")
    pdf = web_as(ana).get("/insights/reports/2026-10/pdf/")

    assert api.status_code == 200 and api.json_body["month"] == "2026-10"
    assert api.json_body["pdf_url"] == "/insights/reports/2026-10/pdf/"
    assert page.status_code == 200 and "monthly report, October 2026" in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "northwind-test-report-2026-10.pdf" in pdf["Content-Disposition"]


@pytest.mark.parametrize("month", ["2026-13", "26-10", "october", "2099-01"])
def test_a_bad_or_future_month_is_a_clear_400(api_as, web_as, ana, month):
    api = api_as(ana).call("get", f"/insights/reports/{month}")
    page = web_as(ana).get(f"/insights/reports/{month}/")

    assert api.status_code == 400 and api.json_body["code"] in ("bad_month", "future_month")
    assert page.status_code == 400


def test_a_manager_accepts_and_dismisses_recommendations(api_as, morgan, recommendation):
    accepted = api_as(morgan).call(
        "post",
        f"/insights/recommendations/{recommendation.public_id}/decision",
        {"status": "accepted", "note": "Aoife covers Saturdays"},
    )
    dismissed = api_as(morgan).call(
        "post",
        f"/insights/recommendations/{recommendation.public_id}/decision",
        {"status": "dismissed"},
    )
    bad = api_as(morgan).call(
        "post",
        f"/insights/recommendations/{recommendation.public_id}/decision",
        {"status": "maybe"},
    )

    assert accepted.status_code == 200 and accepted.json_body["status"] == "accepted"
    assert accepted.json_body["decided_by"]["email"] == morgan.email
    assert dismissed.json_body["status"] == "dismissed"
    assert bad.status_code == 422
    assert Recommendation.objects.get(pk=recommendation.pk).status == "dismissed"


def test_only_managers_decide_and_outsiders_find_nothing(
    api_as, web_as, sam, charlie, recommendation
):
    path = f"/insights/recommendations/{recommendation.public_id}/decision"

    assert api_as(sam).call("post", path, {"status": "accepted"}).status_code == 403
    assert api_as(charlie).call("post", path, {"status": "accepted"}).status_code == 404
    page = web_as(charlie).post(
        f"/insights/recommendations/{recommendation.public_id}/decide/", {"status": "accepted"}
    )
    assert page.status_code == 404
    assert Recommendation.objects.get(pk=recommendation.pk).status == "proposed"


def test_a_decision_survives_the_report_being_built_again(web_as, morgan, recommendation):
    client = web_as(morgan)
    client.post(
        f"/insights/recommendations/{recommendation.public_id}/decide/",
        {"status": "accepted", "note": "on the rota"},
    )

    page = client.get("/insights/reports/2026-10/")

    # The empty month's rules find nothing, but a decided recommendation is kept.
    assert Recommendation.objects.get(pk=recommendation.pk).status == "accepted"
    assert "Accepted by Morgan Manager" in page.content.decode()


def test_recipients_are_managed_by_managers_and_the_report_is_mailed_once(
    api_as, morgan, alice, charlie, org
):
    added = api_as(morgan).call(
        "post", "/insights/report-recipients", {"email": "Board@Northwind.test"}
    )
    duplicate = api_as(morgan).call(
        "post", "/insights/report-recipients", {"email": "board@northwind.test"}
    )
    invalid = api_as(morgan).call("post", "/insights/report-recipients", {"email": "not-an-email"})
    agent = api_as(alice).call("post", "/insights/report-recipients", {"email": "x@northwind.test"})
    outsider = api_as(charlie).call(
        "delete", f"/insights/report-recipients/{added.json_body['id']}"
    )

    assert added.status_code == 201 and added.json_body["email"] == "board@northwind.test"
    assert duplicate.status_code == 409 and invalid.status_code == 400
    assert agent.status_code == 403 and outsider.status_code == 404
    assert api_as(charlie).call("get", "/insights/report-recipients").json_body == []

    first = tasks.due_mailings(now=dt.datetime(2026, 11, 1, 7, 0, tzinfo=dt.UTC))
    second = tasks.due_mailings(now=dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC))

    assert first == {org.pk: "sent"} and second == {org.pk: "already_sent"}
    [message] = mail.outbox
    assert message.to == ["board@northwind.test"]
    assert message.subject == "Northwind: monthly report, October 2026"
    [(name, content, mimetype)] = message.attachments
    assert name.endswith("2026-10.pdf") and content.startswith(b"%PDF")
    assert ReportMailing.objects.get(organisation=org).sent_at is not None
    assert (
        api_as(morgan)
        .call("delete", f"/insights/report-recipients/{added.json_body['id']}")
        .status_code
        == 204
    )
    assert not ReportRecipient.objects.exists()


def test_the_cli_writes_the_html_and_pdf(org, tmp_path, capsys):
    assert (
        cli(["report", "--month", "2026-10", "--organisation", org.slug, "--out", str(tmp_path)])
        == 0
    )

    printed = capsys.readouterr().out.splitlines()
    assert printed[1].endswith("northwind-test-report-2026-10.html")
    assert (tmp_path / "northwind-test-report-2026-10.pdf").read_bytes().startswith(b"%PDF")
    assert cli(["report", "--month", "2026-13", "--organisation", org.slug]) == 2


def test_services_refuse_a_note_that_is_too_long(sam, alert):
    with pytest.raises(Exception, match="under 2000"):
        services.acknowledge_alert(sam, alert, action_taken="x" * 2001)
