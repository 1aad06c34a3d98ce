"""Who may open, act on and download the evidence of one form: every persona × object × action.

The form is `nhanvien`'s (staff of STC-TH, reviewed by its head, decided by STC's director). Before
publication only the chain, those who manage the subtree and grant holders see it; after
publication colleagues of the unit see the result, but never the evidence.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluation import selectors, services
from evaluation.workflow import Actor
from tests.evaluation.conftest import form_of, staff_points
from tests.evaluation.test_after_publication import _publish_stc

PERSONAS = [
    "nhanvien",
    "nhanvien2",
    "truongphong",
    "giamdoc",
    "phogiamdoc",
    "truongphong_kh",
    "nhanvien_kh",
    "chutich",
    "hr",
    "auditor",
    "ngoai",
    "giamdoc_syt",
    "outsider_nobody",
]
# Who sees the whole form (page, evidence, API) while it is being evaluated.
SEES_DRAFT = {"nhanvien", "truongphong", "giamdoc", "phogiamdoc", "chutich", "hr", "auditor"}
# After publication the people of STC-TH see the result too (not the evidence).
SEES_RESULT = SEES_DRAFT | {"nhanvien2"}
ROLES = {"nhanvien": {Actor.EMPLOYEE}, "truongphong": {Actor.MANAGER}, "giamdoc": {Actor.DECIDER}}


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def form(org, period_2025):
    form = form_of(org, "nhanvien", period_2025)
    services.attachment_add(
        evaluation=form,
        upload=SimpleUploadedFile("minh-chung.pdf", b"%PDF-1.4 minh chung", content_type="application/pdf"),
        actor=org.user("nhanvien"),
    )
    form.refresh_from_db()
    return form


def _urls(form):
    attachment = form.attachments.get()
    return (
        reverse("evaluation:form", kwargs={"pk": form.pk}),
        reverse("evaluation:attachment", kwargs={"pk": form.pk, "attachment_id": attachment.pk}),
        f"/api/v1/evaluations/{form.pk}",
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_form_being_evaluated(org, form, client, persona):
    client.force_login(org.user(persona))
    page, evidence, api = _urls(form)
    expected = 200 if persona in SEES_DRAFT else 404
    assert client.get(page).status_code == expected
    assert client.get(evidence).status_code == expected
    assert client.get(api).status_code == expected
    roles = selectors.actor_roles(user=org.user(persona), evaluation=form)
    assert roles == ROLES.get(persona, set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_published_form(org, form, client, persona):
    with time_machine.travel(date(2025, 12, 8), tick=False):
        _publish_stc(org, form.period)
    client.force_login(org.user(persona))
    page, evidence, api = _urls(form)
    assert client.get(page).status_code == (200 if persona in SEES_RESULT else 404)
    assert client.get(api).status_code == (200 if persona in SEES_RESULT else 404)
    assert client.get(evidence).status_code == (200 if persona in SEES_DRAFT else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_chain_acts_on_the_form(org, form, persona):
    user = org.user(persona)
    steps = {
        "save": lambda f: services.evaluation_save_self(
            evaluation=f, expected_version=f.version, points=staff_points(60), actor=user
        ),
        "review": lambda f: services.evaluation_review(
            evaluation=f, expected_version=f.version, points=staff_points(60), actor=user
        ),
        "decide": lambda f: services.evaluation_decide(
            evaluation=f, expected_version=f.version, points=staff_points(60), actor=user
        ),
    }
    allowed = {"nhanvien": "save", "truongphong": "review", "giamdoc": "decide"}.get(persona)
    for step, run in steps.items():
        fresh = form_of(org, "nhanvien", form.period)
        if step == allowed:
            before = fresh.version
            assert run(fresh).version == before + 1
        else:
            with pytest.raises((services.NotAllowed, services.Conflict)):
                run(fresh)
