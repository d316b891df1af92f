"""The period and grouping of a usage report (a GET form: its fields are the query)."""

from urllib import parse

from django import forms
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import usage as core_usage
from heps_desktop_dashboard.dashboards.project.desktops import texts

PERIOD_TEXTS = {
    core_usage.PERIOD_REVERSED: _("The period ends before it starts."),
    core_usage.PERIOD_TOO_LONG: _("A period is at most %(max)s days."),
}

GROUP_LABELS = {
    core_usage.BY_PROJECT: _("Project"),
    core_usage.BY_EXPERIMENT: _("Experiment"),
    core_usage.BY_USER: _("User"),
}
METRIC_LABELS = {
    core_usage.GPU_HOURS: _("GPU-hours"),
    core_usage.DESKTOP_HOURS: _("Desktop-hours"),
}
FIELDS = ("start", "end", "group", "metric")
_DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def this_month(now=None):
    """The default period: the first day of this month (UTC) to today."""
    now = now or desktops.utcnow()
    return core_usage.month_start(now).date(), now.date()


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=_DATE,
                            input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), required=False, widget=_DATE,
                          input_formats=["%Y-%m-%d"])
    group = forms.ChoiceField(label=_("Per"), required=False)
    metric = forms.ChoiceField(label=_("Chart"), required=False,
                               choices=list(METRIC_LABELS.items()))

    def __init__(self, query, groups=core_usage.GROUPS, now=None):
        self.default_start, self.default_end = this_month(now)
        super().__init__({k: str(v).strip() for k, v in query.items() if k in FIELDS})
        self.fields["group"].choices = [(g, GROUP_LABELS[g]) for g in groups]
        self.groups = groups
        for name in ("group", "metric"):
            self.fields[name].widget.attrs.update({"class": "form-control",
                                                   "id": f"heps-usage-{name}"})
        self.fields["start"].widget.attrs["id"] = "heps-usage-start"
        self.fields["end"].widget.attrs["id"] = "heps-usage-end"

    def clean(self):
        data = super().clean()
        first = data.get("start") or self.default_start
        last = data.get("end") or self.default_end
        try:
            data["period"] = core_usage.period_of_dates(first, last)
        except ValueError as exc:
            raise forms.ValidationError(texts.rule_error(exc, PERIOD_TEXTS)) from exc
        data["start"], data["end"] = first, last
        data["group"] = data.get("group") or self.groups[0]
        data["metric"] = data.get("metric") or core_usage.GPU_HOURS
        return data

    def choice(self):
        """``(first date, last date, (start, end) datetimes, group, metric)`` of a valid
        form, the defaults otherwise."""
        if self.is_valid():
            data = self.cleaned_data
            return (data["start"], data["end"], data["period"], data["group"],
                    data["metric"])
        period = core_usage.period_of_dates(self.default_start, self.default_end)
        return (self.default_start, self.default_end, period, self.groups[0],
                core_usage.GPU_HOURS)

    def query_string(self):
        first, last, _period, group, metric = self.choice()
        return parse.urlencode([("start", first.isoformat()), ("end", last.isoformat()),
                                ("group", group), ("metric", metric)])

    def initial_values(self):
        """What the form shows: the chosen values (defaults filled in)."""
        first, last, _period, group, metric = self.choice()
        return {"start": first, "end": last, "group": group, "metric": metric}


