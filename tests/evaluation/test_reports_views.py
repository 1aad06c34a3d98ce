"""Report pages: who may use them, the request form, the job page and its htmx progress fragment,
the download, and the header links to reports, dashboards and ratings."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import ReportJob
from evaluation.reports import build
from tests.evaluation import test_reports
from tests.evaluation.test_reports import YEAR

annual_rows, month_forms = test_reports.annual_rows, test_reports.month_forms  # the fixtures, shared

INDEX = reverse("reports:index")
NOT_REPORTERS = ("nhanvien", "ngoai", "auditor", "outsider_nobody")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_job(org, state, *, persona="hr", unit="STC", **fields) -> ReportJob:
    return ReportJob.objects.create(
        kind=build.ANNUAL_LIST,
        params={"unit": unit, "year": YEAR, "format": "pdf", "subtree": False},
        requested_by=org.user(persona),
        state=state,
        **fields,
    )


def post_request(client, captured, **data):
    form = {"kind": build.ANNUAL_LIST, "unit": "STC", "year": YEAR, "format": "pdf"} | data
    with captured(execute=True):
        return client.post(INDEX, {k: v for k, v in form.items() if v is not None})


# --- Who may use the page -------------------------------------------------------------------------


def test_the_reports_page_is_for_hr_and_heads_only(org, login):
    for persona in ("hr", "giamdoc", "truongphong"):
        assert login(org.user(persona)).get(INDEX).status_code == 200, persona
    for persona in NOT_REPORTERS:
        assert login(org.user(persona)).get(INDEX).status_code == 404, persona


def test_the_unit_suggestions_are_the_reportable_units(org, login):
    body = login(org.user("hr")).get(INDEX).content.decode()
    for code in ("HN", "STC", "STC-TH", "SYT", "SNV"):
        assert f'<option value="{code}">' in body
    body = login(org.user("giamdoc")).get(INDEX + "?unit=STC").content.decode()
    assert '<option value="STC">' in body and '<option value="STC-TH">' not in body
    assert 'value="STC" list="report-units"' in body  # prefilled from the query string


# --- Requesting -----------------------------------------------------------------------------------


def test_a_head_requests_the_annual_list_and_downloads_it(org, annual_rows, login, django_capture_on_commit_callbacks):
    client = login(org.user("giamdoc"))
    response = post_request(client, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:job", args=[job.pk])
    assert (job.state, job.requested_by) == (ReportJob.State.DONE, org.user("giamdoc"))
    page = client.get(response.url).content.decode()
    assert "Sở Tài chính" in page and 'data-state="done"' in page
    assert reverse("reports:job_download", args=[job.pk]) in page
    download = client.get(reverse("reports:job_download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    listing = client.get(INDEX).content.decode()
    assert f'data-job="{job.pk}" data-state="done"' in listing


def test_monthly_and_quarterly_sheets_as_excel(org, month_forms, login, django_capture_on_commit_callbacks):
    client = login(org.user("hr"))
    post_request(client, django_capture_on_commit_callbacks, kind=build.MONTHLY_SHEET, month=11, format="xlsx")
    post_request(client, django_capture_on_commit_callbacks, kind=build.QUARTERLY_SHEET, quarter=4, format="xlsx")
    names = sorted(ReportJob.objects.values_list("result_name", "state"))
    assert names == [
        ("monthly-sheet-STC-2025-11.xlsx", ReportJob.State.DONE),
        ("quarterly-sheet-STC-2025-q4.xlsx", ReportJob.State.DONE),
    ]


@pytest.mark.parametrize(
    ("persona", "data", "field"),
    [
        ("giamdoc", {"unit": "SYT"}, "unit"),  # not their unit
        ("giamdoc", {"unit": "NOPE"}, "unit"),  # no such unit: the same answer
        ("truongphong", {"unit": "STC"}, "unit"),  # the level above
        ("giamdoc", {"subtree": "on"}, "subtree"),  # a head reports on the unit, HR on the subtree
        ("hr", {"kind": build.ANNUAL_FORMS, "format": "xlsx"}, "format"),
        ("hr", {"kind": build.MONTHLY_SHEET}, "month"),
        ("hr", {"kind": build.QUARTERLY_SHEET}, "quarter"),
        ("hr", {"year": "20"}, "year"),
    ],
)
def test_requests_that_are_refused(org, login, django_capture_on_commit_callbacks, persona, data, field):
    response = post_request(login(org.user(persona)), django_capture_on_commit_callbacks, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ReportJob.objects.exists()


# --- The job page, its progress fragment and the download ------------------------------------------


@pytest.mark.parametrize("state", ["queued", "running", "done", "failed"])
def test_outsiders_get_404_on_every_job_page(org, login, state):
    job = make_job(org, state)
    urls = [reverse(f"reports:{name}", args=[job.pk]) for name in ("job", "job_progress", "job_download")]
    for persona in (*NOT_REPORTERS, "giamdoc_syt", "truongphong", "chutich"):
        client = login(org.user(persona))
        for url in urls:
            assert client.get(url).status_code == 404, (persona, url)
        assert client.post(reverse("reports:job_retry", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.state == state  # the refused retry changed nothing
    # The head of STC may follow HR's job on STC (access follows the unit, not the requester).
    assert login(org.user("giamdoc")).get(urls[0]).status_code == 200


def test_the_progress_fragment_for_each_state(org, login):
    client = login(org.user("hr"))

    def fragment(job):
        response = client.get(reverse("reports:job_progress", args=[job.pk]))
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body  # a fragment, for htmx to swap in
        return body

    queued = fragment(make_job(org, ReportJob.State.QUEUED))
    assert 'data-state="queued"' in queued and 'hx-trigger="every 2s"' in queued
    assert 'hx-swap="outerHTML"' in queued and '<progress max="100" value="0"' in queued

    running = fragment(make_job(org, ReportJob.State.RUNNING, progress=42))
    assert 'hx-trigger="every 2s"' in running and '<progress max="100" value="42"' in running
    assert "42%" in running and 'data-testid="retry"' not in running

    done_job = make_job(org, ReportJob.State.DONE, progress=100, result="reports/x.pdf", result_name="bao-cao.pdf")
    done = fragment(done_job)
    assert "hx-trigger" not in done and "<progress" not in done  # the polling stops
    assert reverse("reports:job_download", args=[done_job.pk]) in done and "bao-cao.pdf" in done
    # Done, but its file is gone from the disk: a 404, never a server error.
    assert client.get(reverse("reports:job_download", args=[done_job.pk])).status_code == 404

    failed = fragment(make_job(org, ReportJob.State.FAILED, error="ValueError: thiếu dữ liệu"))
    assert "hx-trigger" not in failed and "ValueError: thiếu dữ liệu" in failed
    assert 'data-testid="retry"' in failed


def test_the_job_page_polls_the_fragment(org, login):
    job = make_job(org, ReportJob.State.RUNNING, progress=10)
    page = login(org.user("hr")).get(reverse("reports:job", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("reports:job_progress", args=[job.pk])}"' in page
    assert "htmx-2." in page  # htmx from static files (base.html)


def test_a_report_not_ready_is_not_downloadable(org, login):
    client = login(org.user("hr"))
    for state in (ReportJob.State.QUEUED, ReportJob.State.RUNNING, ReportJob.State.FAILED):
        job = make_job(org, state, result="reports/x.pdf", result_name="x.pdf")
        assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404


def test_the_list_shows_my_jobs_only_and_those_i_may_still_open(org, login):
    mine = make_job(org, ReportJob.State.DONE, persona="giamdoc")
    others = make_job(org, ReportJob.State.DONE, persona="hr")
    lost = make_job(org, ReportJob.State.DONE, persona="giamdoc", unit="SYT")  # e.g. moved away since
    body = login(org.user("giamdoc")).get(INDEX).content.decode()
    assert f'data-job="{mine.pk}"' in body
    assert f'data-job="{others.pk}"' not in body and f'data-job="{lost.pk}"' not in body


# --- Header links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        ("hr", {"dashboards", "ratings", "reports"}),
        ("giamdoc", {"dashboards", "ratings", "reports"}),
        ("auditor", {"dashboards", "ratings"}),
        ("nhanvien", {"ratings"}),
        ("outsider_nobody", set()),
    ],
)
def test_header_links_for_those_who_may_use_them(org, login, persona, links):
    body = login(org.user(persona)).get(reverse("home")).content.decode()
    shown = {name for name in ("dashboards", "ratings", "reports") if f'data-testid="nav-{name}"' in body}
    assert shown == links


def test_header_links_cost_no_query(org, rf, django_assert_num_queries):
    """The links read the scope that the org chart's header processor has computed already."""
    from evaluation.context_processors import notifications
    from orgchart.context_processors import navigation

    request = rf.get("/")
    request.user = org.user("hr")
    navigation(request)
    with django_assert_num_queries(0):
        context = notifications(request)
    assert context["nav_can_reports"] and context["nav_can_dashboards"] and context["nav_can_ratings"]


def test_the_ratings_index_lists_the_pages_the_user_may_open(org, login):
    today = timezone.localdate()
    hr = login(org.user("hr")).get(reverse("ratings:index")).content.decode()
    assert reverse("ratings:quarter_units", args=[today.year, (today.month - 1) // 3 + 1]) in hr
    assert reverse("ratings:annual_unit", args=[today.year, "HN"]) in hr
    assert f"{today.year:,}".replace(",", ".") not in hr  # a year is not grouped like a number (vi)
    staff = login(org.user("nhanvien")).get(reverse("ratings:index")).content.decode()
    assert reverse("ratings:annual_me", args=[today.year]) in staff and "/ratings/quarters/" not in staff
    giamdoc = login(org.user("giamdoc")).get(reverse("ratings:index")).content.decode()
    assert reverse("ratings:annual_unit", args=[today.year, "STC"]) in giamdoc
    assert login(org.user("outsider_nobody")).get(reverse("ratings:index")).status_code == 404


def test_the_list_costs_the_same_queries_for_3_or_15_jobs(org, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(org.user("hr"))
    counts = []
    for n in (3, 12):
        for _ in range(n):
            make_job(org, ReportJob.State.DONE)
        client.get(INDEX)  # warm-up (session)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INDEX).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
