from django.urls import re_path

from heps_desktop_dashboard.dashboards.project.desktops.usage import views

urlpatterns = [
    re_path(r"^$", views.UsageView.as_view(), name="usage"),
    re_path(r"^csv/$", views.CsvView.as_view(), name="usage_csv"),
]
