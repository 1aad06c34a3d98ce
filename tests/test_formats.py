"""Vietnamese formats: 05/03/2025 is 5 March; 1.234,5; Asia/Ho_Chi_Minh."""

from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.template import Context, Template
from django.utils import translation


class DateForm(forms.Form):
    d = forms.DateField(localize=True)


def test_day_first_date_input():
    with translation.override("vi"):
        form = DateForm({"d": "05/03/2025"})
        assert form.is_valid()
        assert form.cleaned_data["d"] == date(2025, 3, 5)


def test_numbers_and_dates_render_vietnamese():
    with translation.override("vi"):
        out = Template("{{ n }} {{ d|date:'SHORT_DATE_FORMAT' }}").render(
            Context({"n": Decimal("1234.5"), "d": date(2025, 3, 5)})
        )
    assert out == "1.234,5 05/03/2025"


def test_time_zone_and_default_language():
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.LANGUAGE_CODE == "vi"


def test_the_favicon_is_served_from_our_static_files(db, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/img/favicon.svg")
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "img/favicon.svg" in page


def test_a_missing_page_says_so_in_vietnamese_in_the_site_layout(db, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("lost"))
    response = client.get("/evaluations/999999/")
    page = response.content.decode()
    assert response.status_code == 404 and 'data-testid="not-found"' in page
    assert "Không tìm thấy trang" in page and 'class="topbar"' in page


def test_the_server_error_page_stands_alone(client):
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Lỗi hệ thống" in page and "{%" not in page and "extends" not in page
