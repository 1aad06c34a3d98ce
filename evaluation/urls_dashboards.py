from django.urls import path

from evaluation import views_dashboards as views

app_name = "dashboards"

urlpatterns = [
    path("completion/", views.completion, name="completion"),
    path("distribution/", views.distribution, name="distribution"),
    path("list/", views.form_list, name="list"),
]
