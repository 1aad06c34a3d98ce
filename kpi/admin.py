"""Framework versions in the admin: read-only (changes go through the HR pages and `kpi.services`)."""

import json

from django.contrib import admin
from django.utils.html import format_html

from kpi.models import FrameworkVersion


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "effective_from", "status", "first_used_at", "published_at")
    list_filter = ("status",)
    search_fields = ("code", "name_vi")
    exclude = ("definition",)
    readonly_fields = (
        "code",
        "name_vi",
        "legal_ref",
        "effective_from",
        "applies_to",
        "period",
        "status",
        "based_on",
        "revision",
        "first_used_at",
        "created_by",
        "created_at",
        "published_at",
        "published_by",
        "definition_json",
    )

    @admin.display(description="definition")
    def definition_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.definition, ensure_ascii=False, indent=2))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
