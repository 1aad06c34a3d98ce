"""The organisation as it was on any date: units, positions, people, assignments, sector links.

Units never move in the tree and are never renamed in place when the organisation changes: a
reorganisation closes a unit (`valid_to`) and opens its successors, linked by `UnitSuccession`, so a
form made in 2024 keeps pointing at the unit as it was.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


def valid_on_q(on: date, prefix: str = "") -> Q:
    """Rows whose `[valid_from, valid_to]` interval (inclusive, open end = None) contains `on`."""
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


class ValidOnQuerySet(models.QuerySet):
    def valid_on(self, on: date, *, prefix: str = ""):
        return self.filter(valid_on_q(on, prefix))


class OrgUnitQuerySet(MP_NodeQuerySet):
    def valid_on(self, on: date):
        return self.filter(valid_on_q(on))


class OrgUnitManager(MP_NodeManager):
    def get_queryset(self):
        return OrgUnitQuerySet(self.model, using=self._db).order_by("path")


class UnitKind(models.TextChoices):
    CITY = "CITY", _("City")
    PARTY = "PARTY", _("Party body / mass organisation")
    DEPARTMENT = "DEPARTMENT", _("Department (sở)")
    DISTRICT = "DISTRICT", _("District")
    OFFICE = "OFFICE", _("Specialised office")
    COMMUNE = "COMMUNE", _("Commune / ward")
    SERVICE_UNIT = "SERVICE_UNIT", _("Public service unit")
    DIVISION = "DIVISION", _("Division")
    TEAM = "TEAM", _("Team")


# Kinds whose head is the "head of the agency" (thủ trưởng) who decides; divisions and teams are
# internal parts of an agency.
AGENCY_KINDS = frozenset(
    {
        UnitKind.CITY,
        UnitKind.PARTY,
        UnitKind.DEPARTMENT,
        UnitKind.DISTRICT,
        UnitKind.OFFICE,
        UnitKind.COMMUNE,
        UnitKind.SERVICE_UNIT,
    }
)


class OrgUnit(MP_Node):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self",
        through="UnitSuccession",
        symmetrical=False,
        related_name="predecessors",
        blank=True,
    )

    objects = OrgUnitManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        permissions = [
            ("hr_officer", "HR officer: view and report on the subtree, manage grants and imports"),
            ("auditor", "Auditor: read-only access to the subtree"),
            ("delegated_reviewer", "Delegated reviewer: reviews forms of the subtree"),
            ("acting_head", "Acting head: takes the head's role for the unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_valid_interval",
            ),
        ]
        indexes = [models.Index(fields=["kind", "valid_from"], name="orgunit_kind_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_agency(self) -> bool:
        return self.kind in AGENCY_KINDS

    def is_valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or self.valid_to >= on)


class SuccessionKind(models.TextChoices):
    MERGE = "MERGE", _("Merge")
    SPLIT = "SPLIT", _("Split")
    RENAME = "RENAME", _("Rename / re-establish")
    TRANSFER = "TRANSFER", _("Transfer of functions")


class UnitSuccession(models.Model):
    predecessor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    successor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=SuccessionKind.choices)
    effective_on = models.DateField(_("effective on"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("unit succession")
        verbose_name_plural = _("unit successions")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_unique_pair"),
            models.CheckConstraint(condition=~Q(predecessor=models.F("successor")), name="succession_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor.code} → {self.successor.code} ({self.kind})"


class PositionKind(models.TextChoices):
    HEAD = "HEAD", _("Head")
    DEPUTY = "DEPUTY", _("Deputy")
    STAFF = "STAFF", _("Staff")


class Position(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=255)
    kind = models.CharField(_("kind"), max_length=10, choices=PositionKind.choices)
    is_leader = models.BooleanField(_("leader"), default=False)
    quarterly_rated = models.BooleanField(_("quarterly rated"), default=False)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class SubjectGroup(models.TextChoices):
    CAN_BO = "CAN_BO", _("Official (cán bộ)")
    CONG_CHUC = "CONG_CHUC", _("Civil servant (công chức)")
    VIEN_CHUC = "VIEN_CHUC", _("Public employee (viên chức)")
    LAO_DONG_HOP_DONG = "LAO_DONG_HOP_DONG", _("Contract worker")


def search_key(text: str) -> str:
    """Text folded for searching as people type it: lower case, no tone marks or diacritics, đ → d.

    "Đỗ Ngọc Ánh", "do ngoc anh" and "ĐỖ NGỌC ÁNH" all fold to "do ngoc anh".
    """
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


class Person(models.Model):
    employee_code = models.CharField(_("employee code"), max_length=40, unique=True)
    full_name = models.CharField(_("full name"), max_length=255)  # stored NFC (services normalise)
    # `search_key(full_name)`, kept by `save()` and by the bulk importer (which bypasses it).
    search_name = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    subject_group = models.CharField(_("subject group"), max_length=20, choices=SubjectGroup.choices)
    similar_task_group = models.CharField(_("similar-task group"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "employee_code"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_code})"

    def save(self, *args, **kwargs):
        self.search_name = search_key(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)


class Assignment(models.Model):
    """A person in a unit and position over `[start_date, end_date]` (inclusive).

    One primary assignment at a time (checked by the services); concurrent posts are non-primary.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assignments")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="assignments")
    valid_from = models.DateField(_("start date"))
    valid_to = models.DateField(_("end date"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ValidOnQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_valid_interval",
            ),
            models.UniqueConstraint(
                fields=["person", "unit", "position", "valid_from"], name="assignment_unique_start"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "valid_from"], name="assignment_unit_valid"),
            models.Index(fields=["person", "is_primary", "valid_from"], name="assignment_person_primary"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.position} @ {self.unit.code}"


class SectorLink(models.Model):
    """A department (sở) supervises the matching specialised office of a district or commune."""

    department = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="supervised_links")
    office = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="sector_links")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = ValidOnQuerySet.as_manager()

    class Meta:
        verbose_name = _("sector link")
        verbose_name_plural = _("sector links")
        constraints = [
            models.UniqueConstraint(fields=["department", "office", "valid_from"], name="sectorlink_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department.code} ⇢ {self.office.code}"


# --- Explicit grants (django-guardian, direct foreign keys, units only) ---------------------------


class UnitUserObjectPermission(UserObjectPermissionBase):
    """A grant of one unit permission to one user, with its date interval and reason.

    Guardian allows one row per (user, permission, unit); a renewed grant updates the interval and
    the change is recorded in the audit log.
    """

    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="user_grants")
    valid_from = models.DateField(_("valid from"), default=date.today)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    on_behalf_of = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("unit grant")
        verbose_name_plural = _("unit grants")


class UnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("unit group grant")
        verbose_name_plural = _("unit group grants")


# --- Audit ------------------------------------------------------------------------------------


class AuditEvent(models.Model):
    """Who changed what, when: one row per change to units, positions, assignments and grants."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=64)
    unit = models.ForeignKey(OrgUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    summary = models.CharField(_("summary"), max_length=500)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["unit", "-at"], name="audit_unit_at"),
            models.Index(fields=["person", "-at"], name="audit_person_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


# --- API tokens -------------------------------------------------------------------------------


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
