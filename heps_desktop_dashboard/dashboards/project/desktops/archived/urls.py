from django.urls import re_path

from heps_desktop_dashboard.dashboards.project.desktops.archived import views

urlpatterns = [
    re_path(r"^$", views.ArchivedView.as_view(), name="archived"),
]
