"""The fixed cast of CONVENTIONS.md, and helpers for talking to the HTTP surface.

Northwind: ada (admin), morgan (manager), sam (supervisor), alice and bob
(agents), mara (marketer), ana (analyst), ash (assessor). Charlie is an admin
of another organisation and must see nothing of Northwind's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from rapport.accounts import services
from rapport.accounts.models import Organisation, User

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def org(db: Any) -> Organisation:
    return Organisation.objects.create(name="Northwind", slug="northwind-test")


@pytest.fixture
def other_org(db: Any) -> Organisation:
    return Organisation.objects.create(name="Contoso", slug="contoso-test")


def _make(org: Organisation, email: str, role: str, name: str) -> User:
    return services.create_user(
        None, email=email, role=role, full_name=name, password=PASSWORD, organisation=org
    )


@pytest.fixture
def ada(org: Organisation) -> User:
    return _make(org, "ada@northwind.test", "admin", "Ada Admin")


@pytest.fixture
def morgan(org: Organisation) -> User:
    return _make(org, "morgan@northwind.test", "manager", "Morgan Manager")


@pytest.fixture
def sam(org: Organisation) -> User:
    return _make(org, "sam@northwind.test", "supervisor", "Sam Supervisor")


@pytest.fixture
def alice(org: Organisation) -> User:
    return _make(org, "alice@northwind.test", "agent", "Alice Agent")


@pytest.fixture
def bob(org: Organisation) -> User:
    return _make(org, "bob@northwind.test", "agent", "Bob Agent")


@pytest.fixture
def mara(org: Organisation) -> User:
    return _make(org, "mara@northwind.test", "marketer", "Mara Marketer")


@pytest.fixture
def ana(org: Organisation) -> User:
    return _make(org, "ana@northwind.test", "analyst", "Ana Analyst")


@pytest.fixture
def ash(org: Organisation) -> User:
    return _make(org, "ash@northwind.test", "assessor", "Ash Assessor")


@pytest.fixture
def charlie(other_org: Organisation) -> User:
    return _make(other_org, "charlie@contoso.test", "admin", "Charlie Outsider")


class ApiClient:
    """A JSON client for /api/v1/ that authenticates with a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        data = kwargs.pop("raw", None)
        if data is None and body is not None:
            data = json.dumps(body)
        response = getattr(self.client, method)(
            f"/api/v1{path}",
            data=data,
            content_type="application/json",
            headers=self.headers,
            **kwargs,
        )
        response.json_body = response.json() if response.content else None
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("post", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("patch", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("put", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("delete", path, **kwargs)


@pytest.fixture
def api_as():
    """Return a factory: api_as(user) -> ApiClient authenticated with a fresh token."""

    def make(user: User) -> ApiClient:
        _, raw = services.create_api_token(user, name="tests")
        return ApiClient(raw)

    return make


@pytest.fixture
def web_as():
    """Return a factory: web_as(user) -> a logged-in Django test client."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
