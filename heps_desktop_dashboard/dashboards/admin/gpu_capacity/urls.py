from django.urls import re_path

from heps_desktop_dashboard.dashboards.admin.gpu_capacity import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
]
