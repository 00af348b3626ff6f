"""Email parsing on real RFC 822 bytes: threading, safe text, automated mail, attachments."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from rapport.connectors.email import AttachmentPolicy, parse_message, sniff_attachment
from rapport.connectors.events import EventKind

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def _mail(**headers: str) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = headers.pop("From", "Maya Okafor <maya@example.test>")
    message["To"] = "support@emberandoak.test"
    message["Subject"] = headers.pop("Subject", "Order #EO12345")
    message["Date"] = "Fri, 14 Mar 2025 09:30:00 +0000"
    message["Message-ID"] = headers.pop("Message_ID", "<m2@example.test>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_a_plain_message_becomes_an_email_event():
    message = _mail()
    message.set_content("Hi,\n\nmy beans haven't arrived.\n\nMaya")

    event = parse_message(message.as_bytes()).event

    assert event.kind == EventKind.EMAIL and event.platform == "email"
    assert event.external_id == "<m2@example.test>"
    assert event.author_email == "maya@example.test" and event.author_name == "Maya Okafor"
    assert event.subject == "Order #EO12345"
    assert event.text == "Hi,\n\nmy beans haven't arrived.\n\nMaya"
    assert event.created_at.isoformat() == "2025-03-14T09:30:00+00:00"
    assert event.is_public is False and event.is_automated is False
    assert event.thread_id == "<m2@example.test>" and event.parent_id is None


def test_a_reply_threads_by_references_and_in_reply_to():
    message = _mail(
        Message_ID="<m3@example.test>",
        In_Reply_To="<ours-1@emberandoak.test>",
        References="<m1@example.test> <ours-1@emberandoak.test>",
    )
    message.set_content("Thanks!")

    event = parse_message(message.as_bytes()).event

    assert event.thread_id == "<m1@example.test>"
    assert event.parent_id == "<ours-1@emberandoak.test>"
    assert event.metadata["references"] == "<m1@example.test> <ours-1@emberandoak.test>"


def test_an_html_only_body_becomes_inert_text():
    message = _mail()
    message.set_content(
        "<html><head><style>p{}</style><script>steal()</script></head><body>"
        '<p>Hello <b>team</b>,</p><p onclick="x()">Order <a href="javascript:x">here</a></p>'
        '<img src="https://tracker.test/pixel.gif"></body></html>',
        subtype="html",
    )

    event = parse_message(message.as_bytes()).event

    assert event.text == "Hello team,\n\nOrder here"


def test_plain_text_is_preferred_over_html():
    message = _mail()
    message.set_content("plain version")
    message.add_alternative("<p>html version</p>", subtype="html")

    assert parse_message(message.as_bytes()).event.text == "plain version"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
        ({"From": "MAILER-DAEMON@mx.example.test"}, "bounce"),
        ({"List_Id": "<news.example.test>"}, "mailing list"),
    ],
)
def test_automated_mail_is_marked_so_it_never_opens_a_conversation(headers, reason):
    message = _mail(**headers)
    message.set_content("I am out of the office until Monday.")

    event = parse_message(message.as_bytes()).event

    assert event.is_automated is True
    assert event.metadata["automated_reason"] == reason


def test_auto_submitted_no_is_a_person():
    message = _mail(Auto_Submitted="no")
    message.set_content("Hello")

    assert parse_message(message.as_bytes()).event.is_automated is False


def test_a_delivery_report_is_a_bounce():
    raw = (
        b"From: Mail Delivery System <postmaster@mx.example.test>\r\n"
        b"To: support@emberandoak.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.test>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your reply.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.test\r\n\r\nFinal-Recipient: rfc822; gone@example.test\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n--b1--\r\n"
    )

    event = parse_message(raw).event

    assert event.is_automated and event.metadata["automated_reason"] == "delivery report"
    assert "could not deliver" in event.text


def test_good_attachments_are_kept_by_content_and_bad_ones_refused():
    message = _mail()
    message.set_content("Receipt and photo attached.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="receipt.pdf")
    message.add_attachment(PNG, maintype="image", subtype="jpeg", filename="photo.jpg")
    message.add_attachment(EXE, maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(
        b"<html><script>x()</script></html>", maintype="text", subtype="plain", filename="a.txt"
    )
    message.add_attachment(
        PDF + b"\0" * 2000, maintype="application", subtype="pdf", filename="big.pdf"
    )

    parsed = parse_message(message.as_bytes(), limits=AttachmentPolicy(max_bytes=1024))

    kept = {ref.filename: ref for ref in parsed.event.media}
    assert set(kept) == {"receipt.pdf", "photo.jpg"}
    assert kept["photo.jpg"].mime_type == "image/png"  # sniffed, whatever the name says
    key = "sha256:" + hashlib.sha256(PDF).hexdigest()
    assert kept["receipt.pdf"].url == key and parsed.attachments[key] == PDF
    refused = parsed.event.metadata["refused_attachments"]
    assert "invoice.pdf: content is application/x-msdownload" in refused
    assert "a.txt: markup disguised as text" in refused
    assert "big.pdf: larger than" in refused


def test_a_disguised_file_name_is_cleaned():
    message = _mail()
    message.set_content("see attached")
    message.add_attachment(
        PDF, maintype="application", subtype="pdf", filename="invoice\u202efdp.exe"
    )

    (ref,) = parse_message(message.as_bytes()).event.media

    assert ref.filename == "invoicefdp.exe" and ref.mime_type == "application/pdf"


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (b"Just some notes\nline two", "text/plain", ("text/plain", "")),
        (b"\x00\x01\x02binary", "application/octet-stream", ("", "unrecognised binary content")),
        (b"notes", "application/pdf", ("", "declared as application/pdf but the content is text")),
        (b"", "text/plain", ("", "empty")),
    ],
)
def test_sniffing_decides_on_the_bytes(data, declared, expected):
    assert sniff_attachment(data, declared) == expected


def test_a_message_without_id_or_date_still_parses():
    raw = b"From: someone@example.test\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nhello\r\n"

    event = parse_message(raw, fallback_id="<imap.1.7@email>").event

    assert event.external_id == "<imap.1.7@email>" and event.subject == "Café"
    assert event.created_at.tzinfo is not None


def test_a_broken_charset_does_not_crash():
    raw = (
        b"From: a@example.test\r\nMessage-ID: <c@x>\r\n"
        b"Content-Type: text/plain; charset=klingon\r\n\r\nqapla\xff\r\n"
    )

    assert "qapla" in parse_message(raw).event.text
