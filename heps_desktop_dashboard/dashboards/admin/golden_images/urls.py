from django.urls import re_path

from heps_desktop_dashboard.dashboards.admin.golden_images import views

IMAGE = r"^(?P<image_id>[0-9a-fA-F-]{36})/"

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(IMAGE + r"$", views.DetailView.as_view(), name="detail"),
    re_path(IMAGE + r"edit/$", views.EditView.as_view(), name="edit"),
]
