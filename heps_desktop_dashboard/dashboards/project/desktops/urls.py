from django.urls import include
from django.urls import re_path

from heps_desktop_dashboard.dashboards.project.desktops import console_views
from heps_desktop_dashboard.dashboards.project.desktops import launch_status
from heps_desktop_dashboard.dashboards.project.desktops import sharing_views
from heps_desktop_dashboard.dashboards.project.desktops import views
from heps_desktop_dashboard.dashboards.project.desktops.archived import urls as archived_urls
from heps_desktop_dashboard.dashboards.project.desktops.experiments import views as experiment_views
from heps_desktop_dashboard.dashboards.project.desktops.storage import urls as storage_urls
from heps_desktop_dashboard.dashboards.project.desktops.usage import urls as usage_urls

DESKTOP = r"^(?P<desktop_id>[0-9a-fA-F-]{36})/"

urlpatterns = [
    re_path(r"^$", views.IndexView.as_view(), name="index"),
    re_path(r"^launch/$", views.LaunchView.as_view(), name="launch"),
    re_path(r"^usage/", include(usage_urls)),
    re_path(r"^storage/", include(storage_urls)),
    re_path(r"^archived/", include(archived_urls)),
    re_path(r"^console/vnc/$", console_views.ConsoleClientView.as_view(),
            name="console_client"),
    re_path(DESKTOP + r"$", views.DetailView.as_view(), name="detail"),
    re_path(DESKTOP + r"status/$", launch_status.StatusView.as_view(), name="status"),
    re_path(DESKTOP + r"extend/$", views.ExtendView.as_view(), name="extend"),
    re_path(DESKTOP + r"rename/$", views.RenameView.as_view(), name="rename"),
    re_path(DESKTOP + r"console\.vv$", console_views.SpiceDirectView.as_view(),
            name="console_vv"),
    re_path(DESKTOP + r"share/$", sharing_views.ShareView.as_view(), name="share"),
    re_path(DESKTOP + r"share/revoke/$", sharing_views.UnshareView.as_view(),
            name="unshare"),
    re_path(DESKTOP + r"support/$", sharing_views.SupportConsoleView.as_view(),
            name="support_console"),
    re_path(DESKTOP + r"experiment/attach/$", experiment_views.AttachExperimentView.as_view(),
            name="attach_experiment"),
    re_path(DESKTOP + r"experiment/snapshot/$", experiment_views.SnapshotResultsView.as_view(),
            name="snapshot_results"),
    re_path(DESKTOP + r"experiment/share-from-snapshot/$",
            experiment_views.ShareFromSnapshotView.as_view(), name="share_from_snapshot"),
    re_path(DESKTOP + r"save-image/$", experiment_views.SaveImageView.as_view(),
            name="save_image"),
]
