"""Pages for customers: the list, one customer with their timeline, editing, merges, privacy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.accounts.services import require
from rapport.customers import selectors, services
from rapport.customers.forms import CustomerCreateForm, CustomerForm, EraseForm, IdentityForm
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.lib.pages import domain_errors_to_form

TIMELINE_PAGE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_http_methods(["GET", "POST"])
def customer_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    q = request.GET.get("q", "")[:200]
    form = CustomerCreateForm()
    if request.method == "POST":
        form = CustomerCreateForm(request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                customer = services.create_customer(actor, **form.service_kwargs())
                messages.success(request, f"{customer.display_name} added.")
                return redirect("customers:detail", customer_id=customer.public_id)
    customers = selectors.customers_visible_to(actor, q=q)
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "form": form, "can_manage": actor.can(Cap.CUSTOMERS_MANAGE)}
    template = "customers/_rows.html" if request.htmx else "customers/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_detail(request: HttpRequest, customer_id: str) -> HttpResponse:
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    identity_form = IdentityForm()
    if request.method == "POST":
        identity_form = IdentityForm(request.POST)
        if identity_form.is_valid():
            with domain_errors_to_form(identity_form):
                services.add_identity(actor, customer, **identity_form.cleaned_data)
                messages.success(request, "Identity added.")
                return redirect("customers:detail", customer_id=customer.public_id)
    before = request.GET.get("before") or None
    timeline = selectors.customer_timeline(actor, customer, limit=TIMELINE_PAGE + 1, before=before)
    now = timezone.now()
    merges = [
        (merge, merge.can_undo(now, services.MERGE_UNDO_DAYS))
        for merge in selectors.merges_of(actor, customer)[:10]
    ]
    context = {
        "customer": customer,
        "identity_form": identity_form,
        "timeline": timeline[:TIMELINE_PAGE],
        "older": timeline[TIMELINE_PAGE - 1].public_id if len(timeline) > TIMELINE_PAGE else None,
        "paged": before is not None,
        "merges": merges,
        "undo_days": services.MERGE_UNDO_DAYS,
        "can_manage": actor.can(Cap.CUSTOMERS_MANAGE),
        "can_privacy": actor.can(Cap.CUSTOMERS_PRIVACY),
        "is_live": customer.erased_at is None and customer.merged_into_id is None,
    }
    return render(request, "customers/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    require(actor, Cap.CUSTOMERS_MANAGE)
    initial = {
        field: getattr(customer, field)
        for field in CustomerForm.base_fields
        if field != "attributes"
    }
    initial["attributes"] = CustomerForm.attributes_as_text(customer.attributes)
    form = CustomerForm(initial=initial, current_attributes=customer.attributes)
    if request.method == "POST":
        form = CustomerForm(request.POST, current_attributes=customer.attributes)
        if form.is_valid():
            with domain_errors_to_form(form):
                services.update_customer(actor, customer, **form.cleaned_data)
                messages.success(request, f"{customer.display_name} saved.")
                return redirect("customers:detail", customer_id=customer.public_id)
    return render(request, "customers/edit.html", {"customer": customer, "form": form})


@login_required
@require_POST
def identity_remove(request: HttpRequest, customer_id: str, identity_id: str) -> HttpResponse:
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    identity = selectors.get_identity_for_user(actor, customer, identity_id)
    with _errors_as_messages(request):
        services.remove_identity(actor, identity)
        messages.success(request, f"{identity.platform} identity removed.")
    return redirect("customers:detail", customer_id=customer.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Find a duplicate of this customer and merge it in; this customer remains."""
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    require(actor, Cap.CUSTOMERS_MANAGE)
    if request.method == "POST":
        duplicate = selectors.get_customer_for_user(actor, request.POST.get("duplicate", ""))
        with _errors_as_messages(request):
            services.merge_customers(actor, source=duplicate, target=customer)
            messages.success(
                request,
                f"{duplicate.display_name} merged into {customer.display_name}. "
                f"You can undo this below for {services.MERGE_UNDO_DAYS} days.",
            )
            return redirect("customers:detail", customer_id=customer.public_id)
    q = request.GET.get("q", "")[:200]
    candidates = []
    if q.strip():
        candidates = list(
            selectors.customers_visible_to(actor, q=q)
            .exclude(pk=customer.pk)
            .filter(erased_at__isnull=True)[:20]
        )
    context = {"customer": customer, "q": q, "candidates": candidates}
    return render(request, "customers/merge.html", context)


@login_required
@require_POST
def merge_undo(request: HttpRequest, merge_id: str) -> HttpResponse:
    actor = _user(request)
    merge = selectors.get_merge_for_user(actor, merge_id)
    with _errors_as_messages(request):
        services.undo_merge(actor, merge)
        messages.success(request, "Merge undone: what moved is back where it was.")
    return redirect("customers:detail", customer_id=merge.source.public_id)


@login_required
@require_GET
def customer_export(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Show everything held about a customer as a readable page (and audit that it was)."""
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    export = services.export_customer(actor, customer, format="html")
    return render(request, "customers/export.html", {"customer": customer, "export": export})


@login_required
@require_GET
def customer_export_json(request: HttpRequest, customer_id: str) -> HttpResponse:
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    export = services.export_customer(actor, customer, format="json")
    response = HttpResponse(
        json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"customer-{customer.public_id}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def customer_erase(request: HttpRequest, customer_id: str) -> HttpResponse:
    actor = _user(request)
    customer = selectors.get_customer_for_user(actor, customer_id)
    require(actor, Cap.CUSTOMERS_PRIVACY)
    form = EraseForm()
    if request.method == "POST":
        form = EraseForm(request.POST)
        if form.is_valid():
            with domain_errors_to_form(form):
                services.erase_customer(actor, customer)
                messages.success(request, "The customer's personal data has been erased.")
                return redirect("customers:detail", customer_id=customer.public_id)
    return render(request, "customers/erase.html", {"customer": customer, "form": form})


@contextmanager
def _errors_as_messages(request: HttpRequest) -> Iterator[None]:
    """Show a refused action as a message on the page it returns to; 403 and 404 stay errors."""
    try:
        yield
    except (NotAllowed, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
