from django.urls import re_path

from heps_desktop_dashboard.dashboards.project.desktops.storage import views

urlpatterns = [
    re_path(r"^create/$", views.CreateStorageView.as_view(), name="create_storage"),
    re_path(r"^(?P<desktop_id>[0-9a-fA-F-]{36})/boost/$", views.BoostView.as_view(),
            name="boost"),
]
