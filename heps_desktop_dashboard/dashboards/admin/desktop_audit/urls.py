from django.urls import re_path

from heps_desktop_dashboard.dashboards.admin.desktop_audit import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^csv/$", views.CsvView.as_view(), name="csv"),
]
