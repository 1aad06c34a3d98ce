"""Django admin for master data. Every save and delete here is recorded like the services' changes
(an AuditEvent with the changed fields), an assignment is checked for an overlapping primary one,
and units are not moved in the tree here (a move would rewrite where past forms point: close the
unit and add its successor instead)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from orgchart import services
from orgchart.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    OrgUnit,
    Person,
    Position,
    SectorLink,
    UnitSuccession,
    UnitUserObjectPermission,
)


class AuditedAdmin(admin.ModelAdmin):
    """Records every admin save and delete in the audit trail shown on the unit and person pages."""

    def _where(self, obj):
        unit = obj if isinstance(obj, OrgUnit) else getattr(obj, "unit", None) or getattr(obj, "content_object", None)
        person = obj if isinstance(obj, Person) else getattr(obj, "person", None)
        return (unit if isinstance(unit, OrgUnit) else None), person

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = {name: getattr(old, name, None) for name in form.changed_data} if old else {}
        super().save_model(request, obj, form, change)
        unit, person = self._where(obj)
        name = type(obj).__name__.lower()
        services.audit_record(
            actor=request.user,
            action=f"admin.{name}.{'change' if change else 'add'}",
            obj=obj,
            unit=unit,
            person=person,
            summary=f"{'Sửa' if change else 'Thêm'} {obj} (trang quản trị)",
            changes={n: (before.get(n), getattr(obj, n, None)) for n in form.changed_data},
        )

    def delete_model(self, request, obj):
        unit, person = self._where(obj)
        services.audit_record(
            actor=request.user,
            action=f"admin.{type(obj).__name__.lower()}.delete",
            obj=obj,
            unit=unit,
            person=person,
            summary=f"Xóa {obj} (trang quản trị)",
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class UnitAdminForm(movenodeform_factory(OrgUnit)):
    def clean(self):
        data = super().clean()
        if self.instance.pk:
            moved = {"treebeard_ref_node", "treebeard_position"} & set(self.changed_data)
            if moved:
                raise ValidationError(
                    _("A unit is not moved in the tree: close it and add its successor, so past forms keep their unit.")
                )
        return data


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin, TreeAdmin):
    form = UnitAdminForm
    list_display = ("name", "code", "kind", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "name")

    def move_node(self, request):  # drag-and-drop in the tree view
        from django.http import HttpResponseBadRequest

        return HttpResponseBadRequest(_("Units are not moved in the tree: close the unit and add its successor."))


class AssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["person", "unit", "position", "valid_from", "valid_to", "is_primary", "note"]

    def clean(self):
        data = super().clean()
        person, start, end = data.get("person"), data.get("valid_from"), data.get("valid_to")
        if data.get("is_primary") and person and start:
            other = services.overlapping_primary(person, start, end, exclude_pk=self.instance.pk)
            if other is not None:
                raise ValidationError(services.primary_overlap_message(person, other))
        return data


@admin.register(Position)
class PositionAdmin(AuditedAdmin):
    list_display = ("code", "title", "kind", "is_leader", "quarterly_rated")
    list_filter = ("kind", "is_leader", "quarterly_rated")
    search_fields = ("code", "title")


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ("employee_code", "full_name", "subject_group", "similar_task_group", "user")
    list_filter = ("subject_group",)
    search_fields = ("employee_code", "full_name")
    raw_id_fields = ("user",)


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdmin):
    form = AssignmentAdminForm
    list_display = ("person", "unit", "position", "valid_from", "valid_to", "is_primary")
    list_filter = ("is_primary", "position__kind")
    search_fields = ("person__full_name", "person__employee_code", "unit__code")
    raw_id_fields = ("person", "unit")
    list_select_related = ("person", "unit", "position")


admin.site.register(UnitSuccession, AuditedAdmin)
admin.site.register(SectorLink, AuditedAdmin)


@admin.register(UnitUserObjectPermission)
class UnitGrantAdmin(AuditedAdmin):
    list_display = ("user", "permission", "content_object", "valid_from", "valid_to", "reason")
    raw_id_fields = ("user", "content_object", "on_behalf_of")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "summary")
    list_filter = ("action",)
    search_fields = ("summary",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash", "prefix")
