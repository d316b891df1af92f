"""The desktop detail page's "Experiment data" tab: reads only, polls while the data
is attached or detached (the reconciler moves it on)."""

import dataclasses

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs
from openstack_dashboard.api import base

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops import policy
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import results_export


@dataclasses.dataclass
class MountRow:
    kind_display: str
    share_id: str
    share_name: str
    level_display: str
    path: str
    source: str
    tag: str
    state: str
    command: str


def _states(ctx, server, data, mode):
    if not data.mounts:
        return {}
    if mode == mounts.MODE_VIRTIOFS:
        return {a["share_id"]: a.get("status", "")
                for a in api.nova.share_attachments(ctx, server.id)}
    found = {}
    for share_id in dict.fromkeys(data.share_ids):
        try:
            rules = api.manila.desktop_rules(ctx, share_id, server.id)
        except (api.manila.NotFound, api.manila.BadRequest):
            rules = []
        found[share_id] = ", ".join(r.get("state") or mounts.RULE_ACTIVE for r in rules)
    return found


def _results(request, ctx, desktop, context):
    names = {}
    try:
        for share in api.manila.experiment_shares(ctx):
            names[share.id] = share.display_name
            if share.kind == mounts.KIND_RESULTS and share.experiment == desktop.experiment:
                context["results_share"] = share
    except Exception:
        context["manila_error"] = True
        return names
    results = context["results_share"]
    if results is not None:
        try:
            context["snapshots"] = results_export.snapshots_of(ctx, results.id)
            context["quota"] = results_export.results_quota(ctx, results)
        except Exception:
            exceptions.handle(request, _("Unable to retrieve the results share's "
                                         "snapshots."), ignore=True)
    return names


def data_context(request, desktop):
    """Everything the tab shows; Manila/nova failures become messages, not errors."""
    ctx = api.context.for_request(request)
    server = desktop.server
    data = mounts.read_data_state(getattr(server, "metadata", None))
    mode = experiments.mount_mode()
    context = {
        "desktop": desktop, "data": data, "mode": mode,
        "mode_display": texts.MODE_DISPLAY.get(mode, mode),
        "state_display": texts.STATE_DISPLAY.get(data.state, data.state),
        "error_display": texts.ERROR_DISPLAY.get(data.error, data.error),
        "transitional": data.transitional and desktop.status not in
        mounts.STUCK_SERVER_STATES,
        "rows": [], "snapshots": [], "quota": None,
        "results_share": None, "manila_error": False,
        "can_snapshot": policy.check_once(request, policy.SNAPSHOT_RESULTS_RULES),
        "can_share_from_snapshot": policy.check_once(request,
                                                     policy.SHARE_FROM_SNAPSHOT_RULES),
    }
    states = {}
    try:
        states = _states(ctx, server, data, mode)
    except Exception:
        exceptions.handle(request, _("Unable to read the state of the experiment data."),
                          ignore=True)
    names = _results(request, ctx, desktop, context)
    for mount in data.mounts:
        context["rows"].append(MountRow(
            kind_display=texts.KIND_DISPLAY.get(mount.kind, mount.kind),
            share_id=mount.share_id, share_name=names.get(mount.share_id, mount.share_id),
            level_display=texts.LEVEL_DISPLAY.get(mount.level, mount.level),
            path=mount.path, source=mount.source, tag=mount.tag,
            state=states.get(mount.share_id) or _("none"),
            command=mount.mount_command()))
    return context


class ExperimentDataTab(tabs.Tab):
    name = _("Experiment data")
    slug = "experiment_data"
    template_name = "heps_desktops/desktops/_experiment_data.html"
    # Loaded on demand: it reads Manila.
    preload = False

    def allowed(self, request):
        # The owner's: it shows the shares, mount commands and export buttons.
        return (self.tab_group.kwargs["desktop"].allows(access.MANAGE)
                and base.is_service_enabled(request, api.manila.SERVICE_TYPE))

    def get_context_data(self, request):
        return data_context(request, self.tab_group.kwargs["desktop"])
