"""Criteria framework versions as data (DOMAIN.md section 3).

A version holds its whole definition as `kpi.spec.spec_to_dict` JSON; the columns beside it are the
parts people search and select by. Writes go through `kpi.services`; selection through `kpi.selectors`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpi.spec import FrameworkSpec, spec_from_dict
from orgchart.models import SubjectGroup

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9._-]*$"
code_validator = RegexValidator(
    CODE_PATTERN,
    _("Use capital letters, digits, dots, hyphens or underscores, e.g. HN-3814-2027."),
)


class FrameworkVersionManager(models.Manager):
    def get_by_natural_key(self, code: str) -> FrameworkVersion:
        return self.get(code=code)


class FrameworkVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    code = models.CharField(_("code"), max_length=40, validators=[code_validator])
    name_vi = models.CharField(_("name"), max_length=300)
    legal_ref = models.CharField(_("legal basis"), max_length=500, blank=True)
    effective_from = models.DateField(_("effective from"))
    applies_to = models.JSONField(_("applies to"), default=list, help_text=_("Subject groups (list of codes)."))
    period = models.CharField(_("period"), max_length=20, choices=Period.choices, default=Period.MONTHLY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField(_("definition"), help_text=_("kpi.spec.spec_to_dict of the version."))
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="copies", verbose_name=_("based on")
    )
    revision = models.PositiveIntegerField(_("revision"), default=0)  # optimistic lock for edits
    first_used_at = models.DateTimeField(_("first used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = FrameworkVersionManager()

    class Meta:
        verbose_name = _("framework version")
        verbose_name_plural = _("framework versions")
        ordering = ["-effective_from", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="frameworkversion_unique_code"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "retired"]), name="frameworkversion_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="frameworkversion_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(first_used_at__isnull=True) | ~Q(status="draft"),
                name="frameworkversion_draft_never_used",
            ),
        ]
        indexes = [models.Index(fields=["status", "effective_from"], name="frameworkversion_status_from")]

    def __str__(self) -> str:
        return self.code

    @property
    def applies_to_labels(self) -> list[str]:
        """The subject groups in words (Công chức, Viên chức, …), in the order stored."""
        labels = dict(SubjectGroup.choices)
        return [str(labels.get(code, code)) for code in self.applies_to or []]

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def spec(self) -> FrameworkSpec:
        """The parsed definition, cached per instance until `definition` is replaced."""
        cached = getattr(self, "_spec_cache", None)
        if cached is None or cached[0] is not self.definition:
            cached = (self.definition, spec_from_dict(self.definition))
            self._spec_cache = cached
        return cached[1]

    @property
    def is_used(self) -> bool:
        return self.first_used_at is not None

    @property
    def is_editable(self) -> bool:
        """Drafts and published versions no form was scored under yet."""
        return not self.is_used and self.status != self.Status.RETIRED
