"""django-q2 jobs: take ids or nothing, call a service, idempotent (a killed worker's task reruns)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from evaluation import ratings, services
from evaluation.models import Period


def open_due_period() -> str:
    """Open the current month once its opening day has come (hourly; opening again creates only the
    forms still missing, e.g. of people who joined since). A month HR closed stays closed."""
    today = timezone.localdate()
    if today.day < settings.EVALUATION_CYCLE["open_day"]:
        return "not yet"
    if Period.objects.filter(year=today.year, month=today.month, state=Period.State.CLOSED).exists():
        return "closed by HR"
    period, created = services.period_open(year=today.year, month=today.month)
    return f"{period}: {created} forms created"


def send_reminders() -> str:
    return f"{services.reminders_send()} reminders"


def lock_due_forms() -> str:
    return f"{services.period_lock_due()} forms locked"


def lock_due_quarterly_ratings() -> str:
    return f"{ratings.quarterly_rating_lock_due()} quarterly ratings locked"


def lock_due_annual_results() -> str:
    return f"{ratings.annual_lock_due()} annual results locked"


# name -> (function path, django-q schedule type, minutes for MINUTES schedules)
SCHEDULES = {
    "evaluation.open_due_period": ("evaluation.tasks.open_due_period", "H", None),
    "evaluation.send_reminders": ("evaluation.tasks.send_reminders", "D", None),
    "evaluation.lock_due_forms": ("evaluation.tasks.lock_due_forms", "H", None),
    "evaluation.lock_due_quarterly_ratings": ("evaluation.tasks.lock_due_quarterly_ratings", "H", None),
    "evaluation.lock_due_annual_results": ("evaluation.tasks.lock_due_annual_results", "H", None),
}
