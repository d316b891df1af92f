"""Decide each policy rule once per request, not once per row and action.

Horizon asks oslo.policy for every action of every row (about 32 checks a row on the
Instances page). The plugin's actions all use the same target, the user's own project
(Horizon fills it in from the request), so the answer cannot differ between rows: it is
computed on first use and remembered on the request.
"""

from django import shortcuts
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import messages
from horizon.tables import actions as horizon_actions
from horizon.utils import settings as horizon_settings

_CACHE_ATTR = "_heps_policy_decisions"

# Rules of the results-export views, also used to show their buttons.
SNAPSHOT_RESULTS_RULES = (("share", "share_snapshot:create_snapshot"),)
SHARE_FROM_SNAPSHOT_RULES = (("share", "share:create"),)


def check_once(request, rules):
    decided = request.__dict__.setdefault(_CACHE_ATTR, {})
    key = tuple(rules)
    if key not in decided:
        policy_check = horizon_settings.import_setting("POLICY_CHECK_FUNCTION")
        decided[key] = bool(policy_check(rules, request, {})) if policy_check else True
    return decided[key]


class PolicyOncePerRequest(horizon_actions.BaseAction):
    """Mix in AFTER the Horizon action class, so BatchAction's own checks still run.

    ``detail_only`` actions apply to rows built for the detail page or a posted action
    (``datum.detail``), not to list rows: each rendered row action costs time per row.
    """

    detail_only = False

    def _allowed(self, request, datum):
        if self.detail_only and datum is not None and not getattr(datum, "detail", True):
            return False
        if self.policy_rules and not check_once(request, self.policy_rules):
            return False
        return self.allowed(request, datum)


class PolicyRequired:
    """A view whose ``policy_rules`` are enforced on every method (GET and POST), not
    only by hiding the button that leads to it."""

    policy_rules = ()

    def dispatch(self, request, *args, **kwargs):
        if self.policy_rules and not check_once(request, self.policy_rules):
            messages.error(request, _("You are not allowed to do that."))
            return shortcuts.redirect(reverse("horizon:project:desktops:index"))
        return super().dispatch(request, *args, **kwargs)
