import datetime as dt

from django.utils import timezone

from rapport.connectors.events import EventKind
from rapport.customers.models import Customer, Identity
from rapport.inbox import services
from rapport.inbox.models import Conversation, Message, Status
from tests.inbox.conftest import event


def test_new_mention_opens_a_conversation_with_its_customer(channel):
    result = services.ingest(channel, [event("My oat latte was cold and the staff were rude")])

    assert result.created == 1 and result.conversations_opened == 1
    conversation = Conversation.objects.get()
    assert conversation.status == Status.NEW
    assert conversation.customer.display_name == "Jo Customer"
    assert conversation.message_count == 1
    assert conversation.last_message_preview.startswith("My oat latte")
    assert Identity.objects.get().handle == "@jo@sandbox.local"


def test_replayed_batch_changes_nothing(channel):
    batch = [event("one"), event("two", author_handle="@sam@x"), event("three")]
    services.ingest(channel, batch)
    before = (Message.objects.count(), Conversation.objects.count(), Customer.objects.count())

    again = services.ingest(channel, batch)

    assert again.created == 0 and again.duplicates == 3
    assert (
        Message.objects.count(),
        Conversation.objects.count(),
        Customer.objects.count(),
    ) == before


def test_duplicate_inside_one_batch_is_stored_once(channel):
    one = event("hello")

    result = services.ingest(channel, [one, one])

    assert result.created == 1 and result.duplicates == 1


def test_reply_threads_into_the_parent_conversation(channel):
    services.ingest(channel, [event("first", external_id="root-1")])

    services.ingest(channel, [event("follow up", parent_id="root-1", author_handle="@other@x")])

    root = Message.objects.get(external_id="root-1").conversation
    assert root.messages.count() == 2


def test_same_customer_on_same_channel_keeps_one_open_conversation(channel):
    services.ingest(channel, [event("first")])

    services.ingest(channel, [event("second"), event("third")])

    conversation = Conversation.objects.get()
    assert conversation.message_count == 3


def test_customer_reply_reopens_a_resolved_conversation(channel):
    services.ingest(channel, [event("first", external_id="r1")])
    Conversation.objects.update(status=Status.RESOLVED, resolved_at=timezone.now())

    services.ingest(channel, [event("still broken", parent_id="r1")])

    conversation = Conversation.objects.get()
    assert conversation.status == Status.OPEN and conversation.resolved_at is None


def test_reply_to_a_long_closed_conversation_opens_a_linked_new_one(channel):
    services.ingest(channel, [event("first", external_id="c1")])
    old_close = timezone.now() - dt.timedelta(days=30)
    Conversation.objects.update(status=Status.CLOSED, closed_at=old_close)

    services.ingest(channel, [event("again", parent_id="c1")])

    old, new = Conversation.objects.order_by("pk")
    assert old.status == Status.CLOSED
    assert new.follows == old and new.status == Status.NEW


def test_auto_reply_never_opens_a_conversation(email_channel):
    auto = event(
        "I am out of office",
        platform="email",
        kind=EventKind.EMAIL,
        author_email="bot@example.com",
        is_automated=True,
    )

    result = services.ingest(email_channel, [auto])

    assert result.automated_dropped == 1
    assert Conversation.objects.count() == 0


def test_email_threads_by_thread_id(email_channel):
    first = event(
        "Invoice question",
        platform="email",
        kind=EventKind.EMAIL,
        author_email="ann@example.com",
        thread_id="<a@mail>",
        external_id="<a@mail>",
    )
    second = event(
        "Any news?",
        platform="email",
        kind=EventKind.EMAIL,
        author_email="ann@example.com",
        thread_id="<a@mail>",
        external_id="<b@mail>",
    )

    services.ingest(email_channel, [first])
    Conversation.objects.update(status=Status.PENDING_CUSTOMER)
    services.ingest(email_channel, [second])

    conversation = Conversation.objects.get()
    assert conversation.message_count == 2 and conversation.status == Status.OPEN


def test_cursor_is_saved_with_the_messages(channel):
    services.ingest(channel, [event("x")], cursor="12345")

    channel.refresh_from_db()
    assert channel.cursor == "12345" and channel.last_success_at is not None


def test_ingest_makes_no_query_per_message(channel, django_assert_max_num_queries):
    small = [event(f"message {n}", author_handle=f"@c{n}@x") for n in range(5)]
    large = [event(f"message {n}", author_handle=f"@d{n}@x") for n in range(200)]
    services.ingest(channel, small)

    # Bulk inserts are chunked by the database's parameter limit; nothing is per message.
    with django_assert_max_num_queries(40):
        services.ingest(channel, large)

    assert Conversation.objects.count() == 205


def test_fetched_attachments_and_linked_media_are_kept(email_channel, channel):
    from rapport.connectors.events import MediaRef
    from rapport.inbox.models import Attachment

    photo = MediaRef(url="sha256:abc", mime_type="image/png", filename="broken.png", size=4)
    linked = MediaRef(url="https://sandbox.example/media/1.jpg", mime_type="image/jpeg")
    unknown = MediaRef(url="sha256:missing", filename="gone.png")
    mail = event(
        "Photo attached",
        platform="email",
        kind=EventKind.EMAIL,
        author_email="ann@example.com",
        media=(photo, unknown),
    )

    services.ingest(email_channel, [mail], attachments={"sha256:abc": b"\x89PNG"})
    services.ingest(channel, [event("look", media=(linked,))])

    stored = Attachment.objects.get(filename="broken.png")
    assert stored.file.read() == b"\x89PNG" and stored.size == 4
    assert stored.message.text == "Photo attached"
    assert Attachment.objects.get(remote_url=linked.url).mime_type == "image/jpeg"
    assert not Attachment.objects.filter(filename="gone.png").exists()
