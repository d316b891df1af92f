from django.urls import re_path

from heps_desktop_dashboard.desktops import views

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^launch/$", views.LaunchView.as_view(), name="launch"),
]
