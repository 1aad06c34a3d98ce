from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        # kpi refuses to publish a version into a month that already has forms; it asks us which.
        from evaluation.selectors import latest_opened_month
        from kpi.services import register_opened_months

        register_opened_months(latest_opened_month)
