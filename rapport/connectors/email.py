"""Email: IMAP polling by UID (with UIDVALIDITY) in, SMTP out.

Threading follows the headers mail clients use: a message's thread is the
first id in its References (else its In-Reply-To, else itself), its parent the
message it answers. HTML bodies become plain text (see `text.py`).

Attachments are kept only within a size limit and only when their content,
sniffed from the bytes and never taken from the file name or the declared
type, is one of the allowed types. Kept bytes come back in
`FetchResult.attachments`, keyed by `sha256:<hex>`, which is also the
`MediaRef.url` of the attachment; refused ones are named in the event's
`metadata["refused_attachments"]`.

Auto-replies, bounces and list mail are marked `is_automated`, so they never
open a conversation, and anything Rapport sends automatically carries
`Auto-Submitted: auto-replied`: two auto-responders cannot loop through us.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, parseaddr, parsedate_to_datetime

import filetype
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from rapport.connectors.base import (
    DEFAULT_TIMEOUT,
    AuthRequired,
    FetchResult,
    MediaUpload,
    Metrics,
    Permanent,
    PostResult,
    ProfileInfo,
    ReplyTarget,
    Transient,
    Unsupported,
)
from rapport.connectors.events import EventKind, InboundEvent, MediaRef
from rapport.connectors.text import clean_text, html_to_text, looks_like_html

MAX_MESSAGE_BYTES = 30 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_TEXT_CHARS = 100_000
ALLOWED_ATTACHMENT_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
_FETCH_CHUNK = 50
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_AUTOMATED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


@dataclass(frozen=True, slots=True)
class AttachmentPolicy:
    max_bytes: int = MAX_ATTACHMENT_BYTES
    max_count: int = MAX_ATTACHMENTS
    allowed_types: frozenset[str] = ALLOWED_ATTACHMENT_TYPES


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    event: InboundEvent
    attachments: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EmailAccount:
    """Where the mailbox is and how to send from it."""

    address: str
    imap_host: str
    smtp_host: str
    username: str = ""
    password: str = ""
    imap_port: int = 993
    imap_ssl: bool = True
    mailbox: str = "INBOX"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # "ssl", "starttls" or "none" (loopback only)
    smtp_username: str = ""
    smtp_password: str = ""
    display_name: str = ""
    timeout: float = DEFAULT_TIMEOUT
    attachments: AttachmentPolicy = AttachmentPolicy()


# --- Parsing ----------------------------------------------------------------------------


def parse_message(
    raw: bytes,
    *,
    platform: str = "email",
    fallback_id: str = "",
    limits: AttachmentPolicy | None = None,
) -> ParsedEmail:
    """Turn one RFC 822 message into an event and the attachment bytes worth keeping."""
    limits = limits or AttachmentPolicy()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = _first_id(_header(message, "Message-ID"))
    if not message_id:
        message_id = fallback_id or f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@rapport>"
    references = _MESSAGE_ID.findall(_header(message, "References"))
    in_reply_to = _first_id(_header(message, "In-Reply-To"))
    parent_id = in_reply_to or (references[-1] if references else None)
    thread_id = references[0] if references else (in_reply_to or message_id)
    name, address = parseaddr(_header(message, "From"))
    automated_reason = _automated_reason(message, address)
    media, kept, refused = _attachments(message, limits)
    metadata: dict[str, str] = {}
    if references:
        metadata["references"] = " ".join(references)
    if automated_reason:
        metadata["automated_reason"] = automated_reason
    if refused:
        metadata["refused_attachments"] = "; ".join(refused)
    reply_to = parseaddr(_header(message, "Reply-To"))[1]
    if reply_to and reply_to.lower() != address.lower():
        metadata["reply_to"] = reply_to
    recipients = getaddresses([_header(message, "To"), _header(message, "Cc")])
    if recipients:
        metadata["to"] = ", ".join(addr for _, addr in recipients if addr)[:1000]
    event = InboundEvent(
        platform=platform,
        external_id=message_id,
        kind=EventKind.EMAIL,
        text=_body_text(message),
        author_handle=address.lower(),
        author_email=address.lower(),
        author_name=clean_text(name),
        created_at=_date(message),
        thread_id=thread_id,
        parent_id=parent_id,
        subject=clean_text(_header(message, "Subject"))[:500],
        is_public=False,
        is_automated=bool(automated_reason),
        media=tuple(media),
        metadata=metadata,
    )
    return ParsedEmail(event=event, attachments=kept)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):
        # A header the parser cannot make sense of counts as absent, not as a crash.
        return ""
    return str(value) if value is not None else ""


def _first_id(value: str) -> str | None:
    found = _MESSAGE_ID.search(value)
    return found.group(0) if found else None


def _date(message: Message) -> dt.datetime:
    value = _header(message, "Date")
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        return dt.datetime.now(dt.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _automated_reason(message: Message, sender: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in _AUTOMATED_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in _AUTOREPLY_HEADERS:
        if message.get(name) is not None:
            return name
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if sender.split("@", 1)[0].lower() in _BOUNCE_SENDERS:
        return "bounce"
    if _header(message, "Return-Path").strip() == "<>":
        return "null sender"
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return "mailing list"
    return ""


def _body_text(message: Message) -> str:
    if not isinstance(message, EmailMessage):
        return ""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if body.get_content_subtype() == "html" or looks_like_html(content):
        text = html_to_text(content)
    else:
        text = clean_text(content)
    return text[:MAX_TEXT_CHARS]


def _attachments(
    message: Message, limits: AttachmentPolicy
) -> tuple[list[MediaRef], dict[str, bytes], list[str]]:
    media: list[MediaRef] = []
    kept: dict[str, bytes] = {}
    refused: list[str] = []
    if not isinstance(message, EmailMessage):
        return media, kept, refused
    for part in message.iter_attachments():
        filename = clean_text(part.get_filename() or "") or "attachment"
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue  # an attached message/rfc822: its text is not ours to keep
        if len(media) >= limits.max_count:
            refused.append(f"{filename}: more than {limits.max_count} attachments")
            continue
        mime_type, reason = sniff_attachment(payload, part.get_content_type(), limits)
        if reason:
            refused.append(f"{filename}: {reason}")
            continue
        key = "sha256:" + hashlib.sha256(payload).hexdigest()
        kept[key] = payload
        media.append(MediaRef(url=key, mime_type=mime_type, size=len(payload), filename=filename))
    return media, kept, refused


def sniff_attachment(
    data: bytes, declared_type: str = "", limits: AttachmentPolicy | None = None
) -> tuple[str, str]:
    """Return (content type, "") for an acceptable file, or ("", why it is refused).

    The type comes from the bytes. Text has no magic number, so bytes that match
    no known format pass only as plain text, when they decode as UTF-8 with no
    NUL bytes and do not turn out to be markup.
    """
    limits = limits or AttachmentPolicy()
    if len(data) > limits.max_bytes:
        return "", f"larger than {limits.max_bytes // (1024 * 1024)} MB"
    if not data:
        return "", "empty"
    kind = filetype.guess(data)
    if kind is not None:
        if kind.mime in limits.allowed_types:
            return kind.mime, ""
        return "", f"content is {kind.mime}, which is not accepted"
    if "text/plain" not in limits.allowed_types:
        return "", "unrecognised content"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "", "unrecognised binary content"
    if "\x00" in text:
        return "", "unrecognised binary content"
    if looks_like_html(text) or text.lstrip()[:5].lower() in ("<?xml", "<svg ", "<!doc"):
        return "", "markup disguised as text"
    if declared_type and not declared_type.startswith("text/"):
        return "", f"declared as {declared_type} but the content is text"
    return "text/plain", ""


# --- The connector ---------------------------------------------------------------------------


class EmailConnector:
    """A shared mailbox: read over IMAP, answer over SMTP."""

    def __init__(self, account: EmailAccount, *, platform: str = "email") -> None:
        self.account = account
        self.platform = platform
        self.own_addresses = {account.address.lower()}

    def _imap(self) -> IMAPClient:
        account = self.account
        try:
            client = IMAPClient(
                account.imap_host,
                port=account.imap_port,
                ssl=account.imap_ssl,
                timeout=account.timeout,
            )
        except (OSError, IMAPClientError) as exc:
            raise Transient(f"Cannot reach the IMAP server: {exc}") from exc
        try:
            client.login(account.username or account.address, account.password)
        except LoginError as exc:
            _logout(client)
            raise AuthRequired(f"The IMAP server refused the login: {exc}") from exc
        except (OSError, IMAPClientError) as exc:
            _logout(client)
            raise Transient(f"IMAP login failed: {exc}") from exc
        return client

    def fetch(self, cursor: str | None, limit: int = 100) -> FetchResult:
        """Return up to `limit` messages that arrived after the cursor's UID, oldest first.

        The cursor is "<UIDVALIDITY>:<last UID>". When the server's UIDVALIDITY
        changes, UIDs were renumbered: start again from the first message and
        let ingest's dedupe on Message-ID absorb what was seen before.
        """
        known_validity, last_uid = _decode_cursor(cursor)
        client = self._imap()
        try:
            selected = client.select_folder(self.account.mailbox, readonly=True)
            validity = int(selected[b"UIDVALIDITY"])
            if validity != known_validity:
                last_uid = 0
            # "N:*" always matches the newest message, even below N: filter again.
            found = client.search(["UID", f"{last_uid + 1}:*"])
            uids = sorted(uid for uid in found if uid > last_uid)[: max(0, limit)]
            events: list[InboundEvent] = []
            attachments: dict[str, bytes] = {}
            for start in range(0, len(uids), _FETCH_CHUNK):
                chunk = uids[start : start + _FETCH_CHUNK]
                sizes = client.fetch(chunk, ["RFC822.SIZE"])
                small = [uid for uid in chunk if sizes[uid][b"RFC822.SIZE"] <= MAX_MESSAGE_BYTES]
                bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
                for uid in chunk:
                    parsed = self._parse(uid, validity, bodies.get(uid), client)
                    if parsed is None:
                        continue
                    events.append(parsed.event)
                    attachments.update(parsed.attachments)
            if uids:
                last_uid = uids[-1]
        except (OSError, IMAPClientError) as exc:
            raise Transient(f"IMAP fetch failed: {exc}") from exc
        finally:
            _logout(client)
        return FetchResult(
            events=tuple(events), next_cursor=f"{validity}:{last_uid}", attachments=attachments
        )

    def _parse(
        self, uid: int, validity: int, fetched: dict[bytes, object] | None, client: IMAPClient
    ) -> ParsedEmail | None:
        fallback = f"<imap.{validity}.{uid}@{self.platform}>"
        if fetched is None:
            # Too large to download whole: keep the headers, say so in the text.
            headers = client.fetch([uid], ["BODY.PEEK[HEADER]"])[uid][b"BODY[HEADER]"]
            assert isinstance(headers, bytes)
            parsed = parse_message(headers, platform=self.platform, fallback_id=fallback)
            note = "(This message is too large to show here; open it in the mailbox.)"
            event = replace(parsed.event, text=note)
            parsed = ParsedEmail(event=event)
        else:
            raw = fetched.get(b"BODY[]")
            if not isinstance(raw, bytes):
                return None
            parsed = parse_message(
                raw,
                platform=self.platform,
                fallback_id=fallback,
                limits=self.account.attachments,
            )
        if parsed.event.author_email in self.own_addresses:
            return None  # our own sent mail copied back to us: never a new conversation
        return parsed

    def reply(
        self, target: ReplyTarget, text: str, *, idempotency_key: str, private: bool = True
    ) -> PostResult:
        """Send `text` to the target's author in the target's thread."""
        recipient = target.author_email or target.author_handle
        if "@" not in recipient:
            raise Permanent("The message to answer has no email address to reply to.")
        subject = target.subject or ""
        if subject and not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        references = [*target.references, target.external_id]
        return self.send(
            to=[recipient],
            subject=subject or "Re: your message",
            text=text,
            idempotency_key=idempotency_key,
            in_reply_to=target.external_id,
            references=references,
        )

    def send(
        self,
        *,
        to: Sequence[str],
        subject: str,
        text: str,
        idempotency_key: str,
        in_reply_to: str | None = None,
        references: Iterable[str] = (),
        automated: bool = False,
    ) -> PostResult:
        """Send one plain-text message over SMTP.

        SMTP has no idempotency of its own; the Message-ID is derived from the
        key, so a retried send carries the same id and the receiving side (and
        our own ingest) sees one message.
        """
        account = self.account
        domain = account.address.rsplit("@", 1)[-1] or "rapport.invalid"
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        message_id = f"<{digest}@{domain}>"
        now = dt.datetime.now(dt.UTC)
        message = EmailMessage()
        local, _, host = account.address.partition("@")
        message["From"] = Address(account.display_name, local, host)
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message["Date"] = format_datetime(now)
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
        refs = list(dict.fromkeys(references))
        if refs:
            message["References"] = " ".join(refs)
        if automated:
            message["Auto-Submitted"] = "auto-replied"
            message["X-Auto-Response-Suppress"] = "All"
        message.set_content(text)
        self._smtp_send(message)
        return PostResult(external_id=message_id, created_at=now)

    def _smtp_send(self, message: EmailMessage) -> None:
        account = self.account
        smtp_class = smtplib.SMTP_SSL if account.smtp_security == "ssl" else smtplib.SMTP
        try:
            with smtp_class(account.smtp_host, account.smtp_port, timeout=account.timeout) as smtp:
                if account.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if account.smtp_username:
                    smtp.login(account.smtp_username, account.smtp_password)
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthRequired(f"The SMTP server refused the login: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise Permanent(f"The SMTP server refused the recipient: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx is "try again later" in SMTP; 5xx is final.
            error = Transient if 400 <= exc.smtp_code < 500 else Permanent
            raise error(f"SMTP error {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise Transient(f"Cannot send through the SMTP server: {exc}") from exc

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        media: Sequence[MediaUpload] = (),
        spoiler_text: str = "",
    ) -> PostResult:
        raise Unsupported("An email inbox cannot publish posts.")

    def find_own_post(
        self, text: str, *, in_reply_to: str | None = None, idempotency_key: str = ""
    ) -> PostResult | None:
        """Return None: SMTP cannot tell what was sent.

        A resend carries the same Message-ID (derived from the key), so the
        receiving side and our own ingest see one message.
        """
        return None

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        bio: str | None = None,
        avatar: MediaUpload | None = None,
        header: MediaUpload | None = None,
    ) -> ProfileInfo:
        raise Unsupported("An email inbox has no public profile.")

    def metrics(self, post_ids: Sequence[str] = ()) -> Metrics:
        raise Unsupported("An email inbox has no audience metrics.")


def _decode_cursor(cursor: str | None) -> tuple[int | None, int]:
    if not cursor:
        return None, 0
    validity, _, uid = cursor.partition(":")
    try:
        return int(validity), int(uid or 0)
    except ValueError:
        raise Permanent(f"Unreadable email cursor {cursor[:60]!r}.") from None


def _logout(client: IMAPClient) -> None:
    # Already gone, or going: nothing is left to close.
    with contextlib.suppress(OSError, IMAPClientError):
        client.logout()
