from django.core.management.base import BaseCommand
from django_q.models import Schedule

from evaluation.tasks import SCHEDULES


class Command(BaseCommand):
    help = "Create or update the periodic jobs (django-q2 schedules), by name. Safe to run again."

    def handle(self, *args, **options):
        for name, (func, schedule_type, minutes) in SCHEDULES.items():
            _schedule, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
            )
            self.stdout.write(f"{'created' if created else 'updated'} {name}")
        Schedule.objects.filter(name__startswith="evaluation.").exclude(name__in=list(SCHEDULES)).delete()
