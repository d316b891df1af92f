from django.urls import re_path

from heps_desktop_dashboard.dashboards.admin.desktops import storage
from heps_desktop_dashboard.dashboards.admin.desktops import views

DESKTOP = r"^(?P<desktop_id>[0-9a-fA-F-]{36})/"

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^storage/$", storage.StorageView.as_view(), name="storage"),
    re_path(DESKTOP + r"$", views.DetailView.as_view(), name="detail"),
    re_path(DESKTOP + r"extend/$", views.ExtendView.as_view(), name="extend"),
]
