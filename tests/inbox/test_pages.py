import pytest
from django.urls import reverse

from rapport.inbox import services
from rapport.inbox.models import ComplaintResolution, Conversation, Message, Status
from tests.inbox.conftest import event


@pytest.fixture
def conversation(channel):
    services.ingest(channel, [event("<script>alert(1)</script> my cup was cracked")])
    return Conversation.objects.get()


def test_inbox_renders_the_three_panes(alice, conversation, web_as):
    response = web_as(alice).get(reverse("inbox:inbox"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Views"' in html and 'id="conversation-list"' in html and 'id="pane"' in html
    assert "Jo Customer" in html


def test_customer_text_is_rendered_inert(alice, conversation, web_as):
    response = web_as(alice).get(reverse("inbox:conversation", args=[conversation.public_id]))

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_agent_replies_from_the_page(alice, conversation, web_as):
    client = web_as(alice)

    response = client.post(
        reverse("inbox:reply", args=[conversation.public_id]),
        {"text": "Sorry about that!", "mode": "public"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b"Sorry about that!" in response.content
    assert Message.objects.filter(direction="out", text="Sorry about that!").exists()


def test_agent_resolves_a_complaint_from_the_page(alice, conversation, web_as):
    Conversation.objects.filter(pk=conversation.pk).update(kind="complaint")

    web_as(alice).post(
        reverse("inbox:resolve", args=[conversation.public_id]),
        {"action": "replacement", "outcome": "New cup sent", "customer_acceptance": "accepted"},
        headers={"HX-Request": "true"},
    )

    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    assert ComplaintResolution.objects.get().action == "replacement"


def test_bad_amount_on_the_page_shows_a_message_and_records_nothing(alice, conversation, web_as):
    Conversation.objects.filter(pk=conversation.pk).update(kind="complaint")

    response = web_as(alice).post(
        reverse("inbox:resolve", args=[conversation.public_id]),
        {"action": "refund", "amount": "lots"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200 and b"must be a number" in response.content
    assert not ComplaintResolution.objects.exists()


def test_analyst_sees_the_inbox_without_the_reply_box(ana, conversation, web_as):
    client = web_as(ana)

    page = client.get(reverse("inbox:conversation", args=[conversation.public_id]))
    refused = client.post(
        reverse("inbox:reply", args=[conversation.public_id]), {"text": "x", "mode": "public"}
    )

    assert page.status_code == 200 and b"data-reply" not in page.content
    assert refused.status_code in (302, 403)
    assert not Message.objects.filter(direction="out").exists()


def test_outsider_gets_404_for_a_conversation(charlie, conversation, web_as):
    response = web_as(charlie).get(reverse("inbox:conversation", args=[conversation.public_id]))

    assert response.status_code == 404


def test_list_partial_filters_by_view(alice, conversation, web_as):
    response = web_as(alice).get(reverse("inbox:list"), {"view": "resolved"})

    assert response.status_code == 200 and b"Nothing here" in response.content


def test_inbox_list_page_has_a_fixed_query_count(
    alice, channel, web_as, django_assert_max_num_queries
):
    services.ingest(channel, [event(f"n{n}", author_handle=f"@p{n}@x") for n in range(40)])
    client = web_as(alice)
    client.get(reverse("inbox:list"))

    with django_assert_max_num_queries(8):
        client.get(reverse("inbox:list"))


def test_saved_view_filters_the_list(alice, channel, web_as):
    services.ingest(channel, [event("a", author_handle="@1@x"), event("b", author_handle="@2@x")])
    first = Conversation.objects.order_by("pk").first()
    assert first is not None
    services.update_conversation(alice, first, assignee=alice)
    view = services.create_saved_view(alice, name="My work", filters={"mine": True})

    response = web_as(alice).get(reverse("inbox:inbox"), {"saved": str(view.public_id)})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-row") == 1 and "My work" in html


def test_attachments_download_only_for_the_organisation(alice, charlie, email_channel, web_as):
    from rapport.connectors.events import EventKind, MediaRef
    from rapport.inbox.models import Attachment

    photo = MediaRef(url="sha256:x", mime_type="image/png", filename="crack.png")
    mail = event(
        "see photo",
        platform="email",
        kind=EventKind.EMAIL,
        author_email="ann@example.com",
        media=(photo,),
    )
    services.ingest(email_channel, [mail], attachments={"sha256:x": b"\x89PNG1234"})
    attachment = Attachment.objects.get()
    url = reverse("inbox:attachment", args=[attachment.public_id])

    page = web_as(alice).get(
        reverse("inbox:conversation", args=[attachment.message.conversation.public_id])
    )
    mine = web_as(alice).get(url)
    theirs = web_as(charlie).get(url)

    assert b"crack.png" in page.content
    assert mine.status_code == 200 and b"".join(mine.streaming_content) == b"\x89PNG1234"
    assert mine["Content-Disposition"].startswith("attachment")
    assert theirs.status_code == 404
