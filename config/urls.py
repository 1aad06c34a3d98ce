from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api
from orgchart import views as orgchart_views

urlpatterns = [
    path("", orgchart_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("orgchart.urls")),
    path("frameworks/", include("kpi.urls")),
    path("ratings/", include("evaluation.urls_ratings")),
    path("evaluations/", include("evaluation.urls")),
    path("dashboards/", include("evaluation.urls_dashboards")),
    path("reports/", include("evaluation.urls_reports")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # Browsers that ask for /favicon.ico without reading the page's <link rel="icon">.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
]
