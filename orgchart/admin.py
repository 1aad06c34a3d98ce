from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

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


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ("name", "code", "kind", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "kind", "is_leader", "quarterly_rated")
    list_filter = ("kind", "is_leader", "quarterly_rated")
    search_fields = ("code", "title")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("employee_code", "full_name", "subject_group", "similar_task_group", "user")
    list_filter = ("subject_group",)
    search_fields = ("employee_code", "full_name")
    raw_id_fields = ("user",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("person", "unit", "position", "valid_from", "valid_to", "is_primary")
    list_filter = ("is_primary", "position__kind")
    search_fields = ("person__full_name", "person__employee_code", "unit__code")
    raw_id_fields = ("person", "unit")
    list_select_related = ("person", "unit", "position")


admin.site.register(UnitSuccession)
admin.site.register(SectorLink)


@admin.register(UnitUserObjectPermission)
class UnitGrantAdmin(admin.ModelAdmin):
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
