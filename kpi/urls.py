from django.urls import path

from kpi import views

app_name = "kpi"

urlpatterns = [
    path("", views.framework_list, name="list"),
    path("<str:code>/", views.framework_detail, name="detail"),
    path("<str:code>/copy/", views.framework_copy, name="copy"),
    path("<str:code>/edit/", views.framework_edit, name="edit"),
    path("<str:code>/preview/", views.framework_preview, name="preview"),
    path("<str:code>/publish/", views.framework_publish, name="publish"),
]
