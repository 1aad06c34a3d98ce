"""Monthly periods, forms (with every version of every result) and their history.

A form snapshots who the person was (unit, position, subject group) and the framework version and
variant it is scored under, so it keeps showing what it was made under. A complaint outcome that
changes a result creates a new revision; the old one stays as it was. Locked forms and history rows
are protected by database triggers (migration 0002), not only by the services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from evaluation.workflow import Status
from orgchart.models import PositionKind


class Period(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    opens_on = models.DateField(_("opens on"))
    self_due = models.DateField(_("self-assessment due"))
    review_due = models.DateField(_("review due"))
    decide_due = models.DateField(_("decision due"))
    complaint_days = models.PositiveSmallIntegerField(_("complaint window (working days)"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="period_one_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="period_month_range"),
        ]

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year}"

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"


def result_withheld(*, status: str, subject_id: int, viewer_id: int | None) -> bool:
    """A decision is the head's until the unit's month is published (the head may still change it):
    the person evaluated sees that it is decided, not the points, the grade or the decision's history."""
    return status == Status.DECIDED and viewer_id is not None and viewer_id == subject_id


class Evaluation(models.Model):
    """One revision of one person's monthly form. The current revision has the highest number."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="evaluations")
    person = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="evaluations")
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    # Snapshot of who and what the form was made under (never rewritten).
    unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="evaluations")
    unit_code = models.CharField(_("unit code"), max_length=40)
    unit_name = models.CharField(_("unit"), max_length=255)
    position = models.ForeignKey("orgchart.Position", on_delete=models.PROTECT, related_name="+")
    position_title = models.CharField(_("position"), max_length=255)
    subject_group = models.CharField(_("subject group"), max_length=20)
    similar_task_group = models.CharField(_("similar-task group"), max_length=100, blank=True)
    # The agency whose head decides (for an agency head, the agency above): the scope of the quota
    # and of the publication.
    decision_unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey("kpi.FrameworkVersion", on_delete=models.PROTECT, related_name="+")
    variant = models.CharField(_("variant"), max_length=10)
    # Workflow state; `version` is the optimistic lock (compare-and-swap on status and version).
    status = models.CharField(
        _("status"), max_length=20, choices=[(s.value, s.value) for s in Status], default=Status.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    # The three stages: points per criterion code (strings of decimals), task shares, totals, grades.
    self_points = models.JSONField(default=dict, blank=True)
    self_task_results = models.JSONField(default=dict, blank=True)
    self_total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    self_grade = models.CharField(max_length=10, blank=True)
    review_points = models.JSONField(default=dict, blank=True)
    review_task_results = models.JSONField(default=dict, blank=True)
    review_total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    review_grade = models.CharField(max_length=10, blank=True)
    final_points = models.JSONField(default=dict, blank=True)
    final_task_results = models.JSONField(default=dict, blank=True)
    final_total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    overrides = models.JSONField(default=list, blank=True)  # [[rule_id, reason], …] applied to the grade
    flags = models.JSONField(default=dict, blank=True)  # worked_share, disciplined, … (override inputs)
    note = models.TextField(_("self-assessment note"), blank=True)
    tasks = models.JSONField(default=list, blank=True)  # the month's tasks: [{"title", "result"}]
    no_self_assessment = models.BooleanField(default=False)
    not_evaluated_reason = models.CharField(max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "orgchart.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    complaint_deadline = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "person", "revision"], name="evaluation_one_per_person_period_revision"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "unit", "status"], name="evaluation_period_unit_status"),
            models.Index(fields=["period", "decision_unit", "status"], name="evaluation_period_dunit_status"),
            models.Index(fields=["person", "period"], name="evaluation_person_period"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period} r{self.revision} ({self.status})"

    @property
    def decided_outside_the_system(self) -> bool:
        """The head at the top of the tree (e.g. the city chairman, evaluated by the Party committee):
        an agency head's form is decided by the agency above, and only at the root is there none, so
        the form's decision unit is its own unit. Such a form is not part of any unit's publication.
        Needs `position` (select it with the form)."""
        return self.unit_id == self.decision_unit_id and self.position.kind == PositionKind.HEAD

    def result_withheld_from(self, person_id: int | None) -> bool:
        return result_withheld(status=self.status, subject_id=self.person_id, viewer_id=person_id)


class EvaluationHistory(models.Model):
    """Append-only: one row per state change or edit, written in the same transaction."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acting_for = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    comment = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {criterion: [old, new]} and other edits

    class Meta:
        verbose_name = _("evaluation history")
        verbose_name_plural = _("evaluation history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.from_status} → {self.to_status}"


class UnitPublication(models.Model):
    """A decision unit's month, published: the quota was checked at that moment."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="publications")
    unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="+")
    exception_reason = models.TextField(blank=True)
    quota = models.JSONField(default=dict, blank=True)  # the quota check as it was at publication
    complaint_deadline = models.DateField()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="publication_one_per_unit_period")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period}"


class Complaint(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Result upheld")
        REVISED = "revised", _("Result revised")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="complaints")
    filed_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(_("reason"))
    handler = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    revision = models.OneToOneField(
        Evaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="from_complaint"
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return f"{self.evaluation_id} ({self.outcome})"


class Attachment(models.Model):
    """Evidence for a form, stored under the private MEDIA_ROOT and served only through a view
    that checks access to the form."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """In-app message (every e-mail also exists here). `key` makes reminders one per person per
    deadline, however often the job runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message[:40]}"


# --- Quarterly ratings (DOMAIN.md section 5) ----------------------------------------------------


class RatingStatus(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional")  # an input is missing
    COMPUTED = "computed", _("Computed")  # every input is there; waiting for the decider
    CONFIRMED = "confirmed", _("Confirmed")
    PUBLISHED = "published", _("Published")
    LOCKED = "locked", _("Locked")


class UnitQuarterResult(models.Model):
    """The unit's own result for a quarter (0–100), entered by the city's HR (Sở Nội vụ)."""

    unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    score = models.DecimalField(max_digits=5, decimal_places=2)
    note = models.CharField(max_length=500, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("unit result for a quarter")
        verbose_name_plural = _("unit results for quarters")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "quarter"], name="unitquarterresult_unique"),
            models.CheckConstraint(condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="unitquarterresult_quarter"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="unitquarterresult_range"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} Q{self.quarter}/{self.year}: {self.score}"


class SectorAssessment(models.Model):
    """The sector assessment (0–100) of a quarterly-rated head, by the director of the department
    linked by the sector link."""

    person = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    score = models.DecimalField(max_digits=5, decimal_places=2)
    comment = models.TextField(blank=True)
    department = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    assessed_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sector assessment")
        verbose_name_plural = _("sector assessments")
        constraints = [
            models.UniqueConstraint(fields=["person", "year", "quarter"], name="sectorassessment_unique"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="sectorassessment_range"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} Q{self.quarter}/{self.year}: {self.score}"


class QuarterlyRating(models.Model):
    person = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="quarterly_ratings")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField(max_length=255)
    position_title = models.CharField(max_length=255)
    decision_unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey("kpi.FrameworkVersion", on_delete=models.PROTECT, related_name="+")
    monthly_scores = models.JSONField(default=list)  # [score or null] × 3, in month order
    monthly_average = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    unit_result = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sector_assessment = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    has_sector_link = models.BooleanField(default=True)
    total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField(max_length=10, blank=True)
    missing = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=RatingStatus.choices, default=RatingStatus.PROVISIONAL)
    version = models.PositiveIntegerField(default=1)
    confirmed_by = models.ForeignKey(
        "orgchart.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quarterly rating")
        verbose_name_plural = _("quarterly ratings")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year", "quarter"], name="quarterlyrating_one_per_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} Q{self.quarter}/{self.year} ({self.status})"


# --- Annual classification (DOMAIN.md section 6) ---------------------------------------------------


class AnnualClassification(models.Model):
    person = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="annual_classifications")
    year = models.PositiveSmallIntegerField()
    # The unit the person belongs to on the classification date (all the year's months count).
    unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField(max_length=255)
    position_title = models.CharField(max_length=255)
    decision_unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    similar_task_group = models.CharField(max_length=100, blank=True)
    framework = models.ForeignKey("kpi.FrameworkVersion", on_delete=models.PROTECT, related_name="+")
    months_evaluated = models.PositiveSmallIntegerField(default=0)
    counts_per_grade = models.JSONField(default=dict)
    average = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    computed_level = models.CharField(max_length=20)
    reasons = models.JSONField(default=list, blank=True)  # [[id, text], …]
    proposed_level = models.CharField(max_length=20, blank=True)  # the person's own proposal
    decided_level = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=RatingStatus.choices, default=RatingStatus.COMPUTED)
    version = models.PositiveIntegerField(default=1)
    decided_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    complaint_deadline = models.DateField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("annual classification")
        verbose_name_plural = _("annual classifications")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="annualclassification_one_per_year"),
        ]
        indexes = [models.Index(fields=["year", "decision_unit"], name="annual_year_dunit")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}: {self.decided_level or self.computed_level}"


class ReportJob(models.Model):
    """A report built in the background (django-q2): progress, the kept result, or why it failed."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.TextField(blank=True)
    result = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class AnnualPublication(models.Model):
    """A decision unit's year, published: the quota as it was checked then, and the exception's reason."""

    unit = models.ForeignKey("orgchart.OrgUnit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, null=True, related_name="+")
    rows = models.PositiveIntegerField(default=0)  # annual results published
    quota = models.JSONField(default=dict, blank=True)  # {framework code: quota check} at publication
    exception_reason = models.TextField(blank=True)
    complaint_deadline = models.DateField()

    class Meta:
        verbose_name = _("annual publication")
        verbose_name_plural = _("annual publications")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="annualpublication_one_per_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}"


class AnnualComplaint(models.Model):
    """A complaint about a published annual result, handled by the level above the decider.

    The classification stays one row per person and year: a revision changes its decided level and
    this row keeps the level before (`old_level`) and after (`new_level`), so both stay visible."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Result upheld")
        REVISED = "revised", _("Result revised")

    classification = models.ForeignKey(AnnualClassification, on_delete=models.PROTECT, related_name="complaints")
    filed_by = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(_("reason"))
    handler = models.ForeignKey("orgchart.Person", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    old_level = models.CharField(max_length=20)  # the decided level when the complaint was filed
    new_level = models.CharField(max_length=20, blank=True)  # the level after a revision

    class Meta:
        verbose_name = _("annual complaint")
        verbose_name_plural = _("annual complaints")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["classification"], condition=Q(outcome="open"), name="annualcomplaint_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.classification_id} ({self.outcome})"
