"""Modal forms for experiment data: attach an experiment to a desktop, snapshot the
results share, create a share from a snapshot, save a desktop as an image."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.dashboards.project.desktops.experiments import texts
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import desktop_actions
from heps_desktop_dashboard.services import experiments
from heps_desktop_dashboard.services import results_export

NAME_MAX = 255
DESCRIPTION_MAX = 255


def experiment_tab_url(desktop_id):
    return (reverse("horizon:project:desktops:detail", args=[desktop_id])
            + "?tab=desktop_details__experiment_data")


class _ExperimentForm(forms.SelfHandlingForm):
    """A form about the desktop named in the URL (``desktop_id`` from the view, never
    from the POST body)."""

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        self.desktop_id = self.desktop.id
        super().__init__(request, *args, **kwargs)

    def get_success_url(self):
        return experiment_tab_url(self.desktop_id)

    def _refused(self, exc, field=None):
        self.add_error(field, texts.refusal_message(exc))

    def _manila_down(self):
        self.add_error(None, texts.MANILA_DOWN)

    @staticmethod
    def _call(request, failure, call, *args, **kwargs):
        """Run a service function with the user's context; a refusal or error becomes
        a message and None."""
        try:
            return call(api.context.for_request(request), *args, **kwargs)
        except results_export.ExportRefused as exc:
            messages.error(request, exc.message)
        except mounts.MountRefused as exc:
            messages.error(request, texts.refusal_message(exc))
        except experiments.ShareServiceUnavailable:
            messages.error(request, texts.MANILA_DOWN)
        except access.AccessDenied as exc:
            messages.error(request, exc.message)
        except Exception:
            exceptions.handle(request, failure)
        return None


class AttachExperimentForm(_ExperimentForm):
    experiment = forms.ThemableChoiceField(label=_("Experiment"))
    # Raw data is offered read-only only; a hand-made POST asking for more is refused
    # here and again in core/mounts.py (and on Manila right before the grant).
    raw_access = forms.ChoiceField(
        label=_("Raw data"), choices=[("ro", _("Read-only, at /data/raw"))],
        error_messages={"invalid_choice": _("Raw experiment data can only be mounted "
                                            "read-only.")})
    results_access = forms.ChoiceField(
        label=_("Results"), choices=[("rw", _("Read-write, at /data/results")),
                                     ("ro", _("Read-only, at /data/results"))])
    confirm_restart = forms.BooleanField(
        label=_("Stop and restart the desktop to attach the data"), required=False,
        help_text=_("Unsaved work in the desktop's session is lost."))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.mode = experiments.mount_mode()
        self.fields["experiment"].choices = texts.experiment_choices(
            request, include_none=False) or [("", _("No experiment available"))]
        self.needs_restart = (self.mode == mounts.MODE_VIRTIOFS
                              and self.desktop.status == "active")
        if not self.needs_restart:
            del self.fields["confirm_restart"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.needs_restart and not data.get("confirm_restart"):
            self.add_error("confirm_restart", _("Attaching needs a restart of the desktop: "
                                                "confirm it, or stop the desktop first."))
            return data
        levels = {mounts.KIND_RAW: data["raw_access"],
                  mounts.KIND_RESULTS: data["results_access"]}
        try:
            data["plan"] = experiments.plan_for(api.context.for_request(self.request),
                                                data["experiment"], levels)
        except experiments.MountRefused as exc:
            self._refused(exc, "experiment")
        except experiments.ShareServiceUnavailable:
            self._manila_down()
        return data

    def handle(self, request, data):
        step = self._call(request, _("Unable to attach the experiment data."),
                          desktop_actions.attach_data, self.desktop_id, data["experiment"],
                          plan=data["plan"])
        if step is None:
            return False
        if self.needs_restart:
            message = _('Attaching experiment %(exp)s to desktop "%(name)s": it is stopped, '
                        'the shares are attached and it is started again.')
        else:
            message = _('Attaching experiment %(exp)s to desktop "%(name)s"; the Experiment '
                        'data tab shows the mounts.')
        messages.success(request, message % {"exp": data["experiment"],
                                              "name": self.desktop.name})
        return True


class SnapshotResultsForm(_ExperimentForm):
    name = forms.CharField(label=_("Snapshot name"), max_length=NAME_MAX)
    description = forms.CharField(label=_("Description"), max_length=DESCRIPTION_MAX,
                                  required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def handle(self, request, data):
        # The results share of the URL desktop's experiment, looked up again now.
        share = self._call(request, _("Unable to find the results share."),
                           results_export.results_share, self.desktop.experiment)
        if share is None:
            return False
        snapshot = self._call(request, _("Unable to snapshot the results share."),
                              results_export.snapshot_results, share.id, data["name"],
                              data["description"])
        if snapshot is None:
            return False
        messages.success(request, _('Creating snapshot "%s" of the results share.')
                         % (snapshot.get("name") or data["name"]))
        return snapshot


class ShareFromSnapshotForm(_ExperimentForm):
    snapshot = forms.ThemableChoiceField(label=_("Snapshot"))
    name = forms.CharField(label=_("New share name"), max_length=NAME_MAX)
    description = forms.CharField(label=_("Description"), max_length=DESCRIPTION_MAX,
                                  required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, request, *args, **kwargs):
        snapshots = kwargs.pop("snapshots")
        super().__init__(request, *args, **kwargs)
        self.fields["snapshot"].choices = [
            (s["id"], f"{s.get('name') or s['id']} ({s.get('created_at', '')[:16]}, "
                      f"{s.get('size')} GiB, {s.get('status')})")
            for s in snapshots] or [("", _("No snapshot yet"))]

    def handle(self, request, data):
        share = self._call(request, _("Unable to create a share from the snapshot."),
                           results_export.share_from_snapshot, data["snapshot"], data["name"],
                           data["description"])
        if share is None:
            return False
        messages.success(request, _('Creating share "%s" from the snapshot.')
                         % (share.get("name") or data["name"]))
        return share


class SaveImageForm(_ExperimentForm):
    name = forms.CharField(label=_("Image name"), max_length=NAME_MAX)

    def handle(self, request, data):
        image = self._call(request, _("Unable to save the desktop as an image."),
                           desktop_actions.save_image, self.desktop_id, data["name"])
        if image is None:
            return False
        messages.success(request, _('Saving the desktop as private image "%s".')
                         % data["name"])
        return True

    def get_success_url(self):
        return reverse("horizon:project:desktops:detail", args=[self.desktop_id])


def default_image_name(desktop_name, now=None):
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{desktop_name}-{now:%Y%m%d-%H%M}"[:NAME_MAX]
