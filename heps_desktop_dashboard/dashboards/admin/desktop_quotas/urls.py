from django.urls import re_path

from heps_desktop_dashboard.dashboards.admin.desktop_quotas import storage
from heps_desktop_dashboard.dashboards.admin.desktop_quotas import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^defaults/$", views.DefaultsView.as_view(), name="defaults"),
    re_path(r"^(?P<project_id>[0-9a-zA-Z_-]{1,64})/update/$", views.EditView.as_view(),
            name="edit"),
    re_path(r"^(?P<project_id>[0-9a-zA-Z_-]{1,64})/storage/$",
            storage.StorageEditView.as_view(), name="edit_storage"),
]
