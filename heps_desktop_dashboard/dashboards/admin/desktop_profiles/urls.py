from django.urls import re_path

from heps_desktop_dashboard.dashboards.admin.desktop_profiles import views

FLAVOR = r"^(?P<flavor_id>[0-9a-zA-Z._-]{1,255})/"

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^create/$", views.CreateView.as_view(), name="create"),
    re_path(FLAVOR + r"edit/$", views.EditView.as_view(), name="edit"),
    re_path(FLAVOR + r"delete/$", views.DeleteView.as_view(), name="delete"),
]
