from django.urls import path

from orgchart import views, views_import

app_name = "orgchart"

urlpatterns = [
    path("", views.unit_tree, name="tree"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/children/", views.unit_children, name="unit_children"),
    path("units/<str:code>/grants/", views.unit_grants, name="unit_grants"),
    path("units/<str:code>/grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("people/", views.person_search, name="person_search"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("import/", views_import.import_page, name="import"),
    path("import/template.xlsx", views_import.import_template, name="import_template"),
]
