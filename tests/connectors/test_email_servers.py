"""Email against real servers on loopback: SMTP (aiosmtpd) and IMAP (Debian's dovecot-imapd).

The dovecot fixture writes a throwaway configuration, password file and
mailbox into a fresh directory and runs its own dovecot on a free loopback
port. Without dovecot installed (`apt-get install -y dovecot-imapd`) the IMAP
tests are skipped; IMAP parsing is still covered on real RFC 822 bytes by
test_email_parse.py.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from rapport.connectors import AuthRequired, Permanent, ReplyTarget, Transient
from rapport.connectors.email import EmailAccount, EmailConnector

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-test-password"
ADDRESS = "support@emberandoak.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.answer = "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.answer.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content))
        return self.answer


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _account(smtp_port: int = 9, imap_port: int = 9, **extra: Any) -> EmailAccount:
    return EmailAccount(
        address=ADDRESS,
        display_name="Ember & Oak Support",
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_ssl=False,
        password=PASSWORD,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        timeout=5,
        **extra,
    )


def test_a_reply_goes_out_over_smtp_in_the_customers_thread(smtp_server):
    inbox, port = smtp_server
    connector = EmailConnector(_account(smtp_port=port))
    target = ReplyTarget(
        external_id="<m2@example.test>",
        author_email="maya@example.test",
        subject="Order #EO12345",
        references=("<m1@example.test>",),
    )

    sent = connector.reply(target, "Your parcel left today.", idempotency_key="reply-7")
    again = connector.reply(target, "Your parcel left today.", idempotency_key="reply-7")

    (message, repeat) = inbox.messages
    assert message["To"] == "maya@example.test"
    assert message["Subject"] == "Re: Order #EO12345"
    assert message["In-Reply-To"] == "<m2@example.test>"
    assert message["References"] == "<m1@example.test> <m2@example.test>"
    assert message["Message-ID"] == sent.external_id == again.external_id == repeat["Message-ID"]
    assert message["Auto-Submitted"] is None
    assert "Your parcel left today." in message.get_payload()


def test_automatic_mail_says_so_so_that_auto_responders_cannot_loop(smtp_server):
    inbox, port = smtp_server

    EmailConnector(_account(smtp_port=port)).send(
        to=["maya@example.test"],
        subject="We got your message",
        text="Thanks!",
        idempotency_key="ack-1",
        automated=True,
    )

    assert inbox.messages[0]["Auto-Submitted"] == "auto-replied"


def test_smtp_refusals_are_typed(smtp_server):
    inbox, port = smtp_server
    connector = EmailConnector(_account(smtp_port=port))

    with pytest.raises(Permanent):
        connector.reply(
            ReplyTarget("<x@y>", author_email="gone@example.test"), "hi", idempotency_key="a"
        )
    inbox.answer = "451 4.3.0 Try again later"
    with pytest.raises(Transient):
        connector.reply(
            ReplyTarget("<x@y>", author_email="maya@example.test"), "hi", idempotency_key="b"
        )
    with pytest.raises(Transient):
        EmailConnector(_account(smtp_port=_free_port())).reply(
            ReplyTarget("<x@y>", author_email="maya@example.test"), "hi", idempotency_key="c"
        )


# --- IMAP -----------------------------------------------------------------------------


@dataclass
class Dovecot:
    port: int
    root: Path

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=5)
        client.login(ADDRESS, PASSWORD)
        return client

    def deliver(self, message: EmailMessage | bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            client.append(folder, message if isinstance(message, bytes) else message.as_bytes())


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (apt-get install -y dovecot-imapd)")
    # Short and world-traversable: unix socket paths are limited in length, and
    # dovecot's login processes run as an unprivileged user.
    root = Path(tempfile.mkdtemp(prefix="rdv"))
    root.chmod(0o755)
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        mail_user, login_user, internal_user = pwd.getpwnam("nobody"), "dovenull", "dovecot"
    else:
        mail_user, login_user, internal_user = me, me.pw_name, me.pw_name
    home = root / "home"
    home.mkdir()
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{ADDRESS}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{home}/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={home}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    # dovecot forks into the background: its output goes to a file, not a pipe
    # that would stay open as long as the daemon runs.
    with open(root / "start.log", "w") as output:
        started = subprocess.run(
            [DOVECOT, "-c", str(config)], stdout=output, stderr=output, timeout=20
        )
    if started.returncode != 0:
        reason = (root / "start.log").read_text().strip()[:300]
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"dovecot would not start here: {reason}")
    server = Dovecot(port=port, root=root)
    deadline = time.monotonic() + 15
    while True:
        try:
            server.client().logout()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    yield server
    pid = int((root / "run" / "master.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def folder(dovecot: Dovecot, request: Any) -> str:
    """A fresh mailbox folder per test: the module's tests share one dovecot."""
    name = "T" + request.node.name[5:40].replace("_", "")
    with dovecot.client() as client:
        client.create_folder(name)
    return name


def _message(n: int, **headers: str) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = headers.pop("From", f"Customer {n} <c{n}@example.test>")
    message["To"] = ADDRESS
    message["Subject"] = f"Question {n}"
    message["Message-ID"] = f"<q{n}@example.test>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(f"Hello, this is question {n}.")
    return message


def test_imap_polling_by_uid_returns_each_message_once(dovecot, folder):
    for n in range(3):
        dovecot.deliver(_message(n), folder)
    dovecot.deliver(_message(99, From=f"Support <{ADDRESS}>"), folder)  # our own copy: skipped
    connector = EmailConnector(replace(_account(imap_port=dovecot.port), mailbox=folder))

    first = connector.fetch(None, limit=2)
    second = connector.fetch(first.next_cursor)
    dovecot.deliver(_message(3, In_Reply_To="<q0@example.test>"), folder)
    third = connector.fetch(second.next_cursor)
    nothing = connector.fetch(third.next_cursor)

    assert [e.external_id for e in first.events] == ["<q0@example.test>", "<q1@example.test>"]
    assert [e.external_id for e in second.events] == ["<q2@example.test>"]
    assert [(e.external_id, e.thread_id) for e in third.events] == [
        ("<q3@example.test>", "<q0@example.test>")
    ]
    assert nothing.events == ()
    validity, uid = str(nothing.next_cursor).split(":")
    assert int(uid) == 5 and int(validity) > 0
    with dovecot.client() as client:  # polling read without marking anything seen
        client.select_folder(folder)
        assert client.search(["UNSEEN"]) == [1, 2, 3, 4, 5]


def test_a_new_uidvalidity_starts_over(dovecot):
    with dovecot.client() as client:
        client.create_folder("Support")
    dovecot.deliver(_message(1), folder="Support")
    connector = EmailConnector(replace(_account(imap_port=dovecot.port), mailbox="Support"))
    seen = connector.fetch(None)
    with dovecot.client() as client:
        client.delete_folder("Support")
        client.create_folder("Support")
    dovecot.deliver(_message(2), folder="Support")

    after = connector.fetch(seen.next_cursor)

    assert [e.external_id for e in after.events] == ["<q2@example.test>"]
    assert str(after.next_cursor).split(":")[0] != str(seen.next_cursor).split(":")[0]


def test_automated_mail_arrives_marked(dovecot, folder):
    dovecot.deliver(_message(1, Auto_Submitted="auto-replied"), folder)
    account = replace(_account(imap_port=dovecot.port), mailbox=folder)

    (event,) = EmailConnector(account).fetch(None).events

    assert event.is_automated is True


def test_a_wrong_password_requires_auth(dovecot):
    account = replace(_account(imap_port=dovecot.port), password="wrong")

    with pytest.raises(AuthRequired):
        EmailConnector(account).fetch(None)


def test_an_unreachable_imap_server_is_transient():
    with pytest.raises(Transient):
        EmailConnector(_account(imap_port=_free_port())).fetch(None)
