from django.urls import path

from evaluation import views, views_periods

app_name = "evaluation"

urlpatterns = [
    path("", views.my_month, name="my_month"),
    path("team/", views.team_grid, name="team"),
    path("notifications/", views.notifications, name="notifications"),
    path("periods/", views_periods.periods, name="periods"),
    path("periods/open/", views_periods.period_open, name="period_open"),
    path("periods/<int:pk>/deadlines/", views_periods.period_deadlines, name="period_deadlines"),
    path("periods/<int:pk>/state/", views_periods.period_state, name="period_state"),
    path("units/<str:code>/<str:period_key>/", views.unit_grid, name="unit"),
    path("units/<str:code>/<str:period_key>/decide/", views.unit_decide, name="unit_decide"),
    path("units/<str:code>/<str:period_key>/publish/", views.unit_publish, name="unit_publish"),
    path("units/<str:code>/<str:period_key>/results/", views.unit_results, name="unit_results"),
    path("<int:pk>/", views.form_detail, name="form"),
    path("<int:pk>/preview/", views.form_preview, name="preview"),
    path("<int:pk>/complaints/<int:complaint_id>/resolve/", views.complaint_resolve, name="complaint_resolve"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
