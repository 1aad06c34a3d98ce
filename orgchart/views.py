from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgchart import access, selectors, services
from orgchart.forms import GrantForm, as_of_from_request
from orgchart.models import UnitUserObjectPermission


@login_required
def home(request):
    scope = access.user_scope(request.user)
    person = access.person_for_user(request.user)
    assignment = access.primary_assignment(person, scope.on) if person else None
    chain = access.evaluation_chain(person, scope.on) if person else None
    roots = selectors.visible_roots(user=request.user, as_of=scope.on)
    return render(
        request,
        "orgchart/home.html",
        {
            "scope": scope,
            "person": person,
            "assignment": assignment,
            "chain": chain,
            "roots": roots,
            "managed_units": [u for u in roots if u.path in scope.managed_paths],
        },
    )


@login_required
def unit_tree(request):
    as_of, form = as_of_from_request(request)
    roots = selectors.visible_roots(user=request.user, as_of=as_of)
    return render(request, "orgchart/unit_tree.html", {"roots": roots, "as_of": as_of, "form": form})


@login_required
def unit_children(request, code: str):
    """htmx partial: the children of a unit in the tree browser."""
    unit = access.get_unit_or_404(request.user, code)
    as_of, _form = as_of_from_request(request)
    scope = access.user_scope(request.user)
    children = selectors.unit_children(unit=unit, as_of=as_of) if scope.covers(unit.path, scope.view_paths) else []
    return render(request, "orgchart/_unit_children.html", {"children": children, "as_of": as_of})


@login_required
def unit_detail(request, code: str):
    unit = access.get_unit_or_404(request.user, code)
    as_of, form = as_of_from_request(request)
    scope = access.user_scope(request.user)
    sees_subtree = scope.covers(unit.path, scope.view_paths)
    members = list(selectors.unit_members(unit=unit, as_of=as_of))
    return render(
        request,
        "orgchart/unit_detail.html",
        {
            "unit": unit,
            "as_of": as_of,
            "form": form,
            "valid": unit.is_valid_on(as_of),
            "ancestors": [u for u in selectors.unit_ancestors(unit=unit) if access.can_view_unit(request.user, u)],
            "children": selectors.unit_children(unit=unit, as_of=as_of) if sees_subtree else [],
            "members": members,
            "heads": [m for m in members if m.position.kind == "HEAD"],
            "lineage": selectors.unit_lineage(unit=unit),
            "sector_links": selectors.unit_sector_links(unit=unit, as_of=as_of),
            "history": selectors.unit_history(unit=unit) if access.can_view_audit(request.user, unit) else None,
            "can_manage_grants": access.can_manage_grants(request.user, unit),
        },
    )


@login_required
def person_detail(request, pk: int):
    person = access.get_person_or_404(request.user, pk)
    assignments = list(selectors.person_assignments(person=person))
    scope = access.user_scope(request.user)
    may_audit = scope.person_id == person.pk or any(access.can_view_audit(request.user, a.unit) for a in assignments)
    return render(
        request,
        "orgchart/person_detail.html",
        {
            "person": person,
            "assignments": assignments,
            "chain": access.evaluation_chain(person, scope.on),
            "history": selectors.person_history(person=person) if may_audit else None,
        },
    )


@login_required
def person_search(request):
    query = request.GET.get("q", "").strip()
    limit = 50
    people = list(selectors.people_search(user=request.user, query=query, limit=limit + 1))
    context = {"people": people[:limit], "query": query, "more": len(people) > limit, "limit": limit}
    return render(request, "orgchart/person_search.html", context)


@login_required
def unit_grants(request, code: str):
    unit = access.get_unit_or_404(request.user, code)
    if not access.can_manage_grants(request.user, unit):
        raise Http404
    form = GrantForm(request.POST or None, initial={"valid_from": access.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_create(
                user=data["username"],
                unit=unit,
                role=data["role"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                reason=data["reason"],
                on_behalf_of=None,
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The grant was saved."))
            return redirect("orgchart:unit_grants", code=unit.code)
    return render(
        request,
        "orgchart/unit_grants.html",
        {"unit": unit, "grants": selectors.unit_grants(unit=unit), "form": form},
    )


@login_required
@require_POST
def grant_revoke(request, code: str, pk: int):
    unit = access.get_unit_or_404(request.user, code)
    if not access.can_manage_grants(request.user, unit):
        raise Http404
    grant = get_object_or_404(UnitUserObjectPermission, pk=pk, content_object=unit)
    services.grant_revoke(grant=grant, actor=request.user)
    messages.success(request, _("The grant was revoked."))
    return redirect("orgchart:unit_grants", code=unit.code)
