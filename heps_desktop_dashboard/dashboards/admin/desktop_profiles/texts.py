"""Why no host can run a desktop profile (core.profile_specs.unsatisfiable_reason's code
and parameters) in the admin's language."""

from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.core import profile_specs

UNSATISFIABLE_TEXTS = {
    profile_specs.NO_PROVIDER: _("no resource provider in placement has %(resource_class)s"),
    profile_specs.NO_PROVIDER_TRAITS: _("no resource provider in placement has "
                                        "%(resource_class)s with %(traits)s"),
    profile_specs.TOO_FEW: _("no resource provider has %(amount)s %(resource_class)s (at "
                             "most %(most)s)"),
}


def problem(row):
    """A profile row's problem in the admin's language (its English when core gave no
    code, e.g. inconsistent specs)."""
    text = UNSATISFIABLE_TEXTS.get(row.problem_code)
    if text is None:
        return row.problem
    return text % row.problem_params
