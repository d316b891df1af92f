"""Modal views for experiment data (attach, results export, save as image)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon.utils import memoized

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops import policy
from heps_desktop_dashboard.dashboards.project.desktops import views
from heps_desktop_dashboard.dashboards.project.desktops.experiments import forms as experiment_forms
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import results_export

# The full page; Horizon renders "_experiment_modal.html" (its modal) for ajax requests.
MODAL_TEMPLATE = "heps_desktops/desktops/experiment_modal.html"


class _ExperimentModalView(views.DesktopModalView):
    template_name = MODAL_TEMPLATE
    help_text = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["help_text"] = self.help_text
        return context

    def get_success_url(self):
        return experiment_forms.experiment_tab_url(self.kwargs["desktop_id"])


class AttachExperimentView(_ExperimentModalView):
    form_class = experiment_forms.AttachExperimentForm
    form_id = "attach_experiment_form"
    page_title = _("Attach Experiment Data")
    policy_rules = (("compute", "os_compute_api:server-metadata:update"),)
    submit_label = _("Attach")
    submit_url_name = "horizon:project:desktops:attach_experiment"

    @property
    def help_text(self):
        if experiments.mount_mode() == mounts.MODE_VIRTIOFS:
            return _("The experiment's raw-data share is attached read-only at /data/raw "
                     "and its results share at /data/results, over virtiofs: no network "
                     "route to the storage is needed. nova attaches shares only to a "
                     "stopped desktop, so a running desktop is stopped, the shares are "
                     "attached and the desktop is started again.")
        return _("The desktop's address gets read-only access to the raw-data share and "
                 "read-write access to the results share. A desktop launched with the "
                 "experiment mounts them at /data/raw and /data/results by itself; for "
                 "one that was not, the Experiment data tab shows the mount commands.")



class _ResultsView(_ExperimentModalView):
    """Results export views act on the results share of the desktop's experiment."""

    @memoized.memoized_method
    def get_results_share(self):
        desktop = self.get_object()
        redirect = experiment_forms.experiment_tab_url(self.kwargs["desktop_id"])
        if not desktop.experiment:
            exceptions.handle(self.request, _("The desktop has no experiment."),
                              redirect=redirect)
        try:
            return results_export.results_share(api.context.for_request(self.request),
                                                desktop.experiment)
        except mounts.MountRefused:
            exceptions.handle(self.request, _("Experiment %s has no results share in this "
                                              "project.") % desktop.experiment,
                              redirect=redirect)
        except Exception:
            exceptions.handle(self.request, texts.MANILA_DOWN, redirect=redirect)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["results_share"] = self.get_results_share()
        return context


class SnapshotResultsView(_ResultsView):
    form_class = experiment_forms.SnapshotResultsForm
    form_id = "snapshot_results_form"
    page_title = _("Snapshot Results")
    policy_rules = policy.SNAPSHOT_RESULTS_RULES
    submit_label = _("Create Snapshot")
    submit_url_name = "horizon:project:desktops:snapshot_results"
    help_text = _("A snapshot keeps the results share as it is now. Create a new share "
                  "from it to hand the results on, or to keep them after the experiment.")

    def get_initial(self):
        desktop = self.get_object()
        share = self.get_results_share()
        return {**super().get_initial(),
                "name": results_export.default_snapshot_name(share.experiment),
                "description": _("Results of experiment %(exp)s from desktop %(name)s")
                % {"exp": desktop.experiment, "name": desktop.name}}


class ShareFromSnapshotView(_ResultsView):
    form_class = experiment_forms.ShareFromSnapshotForm
    form_id = "share_from_snapshot_form"
    page_title = _("Create Share from Snapshot")
    policy_rules = policy.SHARE_FROM_SNAPSHOT_RULES
    submit_label = _("Create Share")
    submit_url_name = "horizon:project:desktops:share_from_snapshot"
    help_text = _("The new share holds the snapshot's data, with the same size and "
                  "protocol. It is not part of the experiment: it does not replace the "
                  "results share.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        share = self.get_results_share()
        try:
            ctx = api.context.for_request(self.request)
            kwargs["snapshots"] = [s for s in results_export.snapshots_of(ctx, share.id)
                                   if s.get("status") == "available"]
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the snapshots."))
            kwargs["snapshots"] = []
        return kwargs

    def get_initial(self):
        desktop = self.get_object()
        return {**super().get_initial(),
                "name": f"{desktop.experiment}-results-export"}


class SaveImageView(_ExperimentModalView):
    form_class = experiment_forms.SaveImageForm
    form_id = "save_image_form"
    page_title = _("Save Desktop as Image")
    policy_rules = (("compute", "os_compute_api:servers:create_image"),)
    submit_label = _("Save Image")
    submit_url_name = "horizon:project:desktops:save_image"
    help_text = _("A private image of the desktop's disk, visible only to this project "
                  "and tagged with the desktop, experiment and golden image it came from. "
                  "Experiment data on shares is not part of the image.")

    def get_initial(self):
        return {**super().get_initial(),
                "name": experiment_forms.default_image_name(self.get_object().name)}

    def get_success_url(self):
        return reverse("horizon:project:desktops:detail", args=[self.kwargs["desktop_id"]])
