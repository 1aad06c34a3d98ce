"""Quarterly ratings and the annual classification (mounted under /ratings/)."""

from django.urls import path

from evaluation import views_ratings as views

app_name = "ratings"

urlpatterns = [
    path("", views.index, name="index"),
    path("quarters/<int:year>/<int:quarter>/", views.quarter_units, name="quarter_units"),
    path("quarters/<int:year>/<int:quarter>/recompute/", views.quarter_recompute, name="quarter_recompute"),
    path("quarters/<int:year>/<int:quarter>/sector/", views.quarter_sector, name="quarter_sector"),
    path("quarters/ratings/<int:pk>/confirm/", views.quarter_confirm, name="quarter_confirm"),
    path("people/<int:person_id>/quarters/", views.person_quarters, name="person_quarters"),
    path("annual/<int:year>/units/<str:code>/", views.annual_unit, name="annual_unit"),
    path("annual/<int:year>/units/<str:code>/publish/", views.annual_unit_publish, name="annual_publish"),
    path("annual/<int:year>/units/<str:code>/recompute/", views.annual_recompute, name="annual_recompute"),
    path("annual/complaints/<int:pk>/resolve/", views.annual_complaint_resolve, name="annual_complaint_resolve"),
    path("annual/<int:year>/me/", views.annual_me, name="annual_me"),
]
