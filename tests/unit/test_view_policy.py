"""Policy is enforced by every view of the plugin, on GET and on POST, not only by
hiding the buttons: with the rule denied, nothing is read or done and the user gets a
message and the list."""

from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard import api

DESKTOP = "2c3c0dd1-63e4-4b1c-9f5b-0d2e3c4b5a69"
INDEX = reverse("horizon:project:desktops:index")
VIEWS = ("extend", "rename", "attach_experiment", "snapshot_results",
         "share_from_snapshot", "save_image", "console_vv")


PANEL_RULE = ("compute", "os_compute_api:servers:index")


def deny_all_but_the_panel(rules, request, target=None):
    """The panel itself stays visible (Horizon checks its rule); every action's is denied."""
    return all(tuple(rule) == PANEL_RULE for rule in rules)


@override_settings(POLICY_CHECK_FUNCTION=deny_all_but_the_panel)
class DeniedPolicyTests(test.TestCase):
    def _urls(self):
        yield reverse("horizon:project:desktops:launch")
        for name in VIEWS:
            yield reverse(f"horizon:project:desktops:{name}", args=[DESKTOP])

    def test_every_view_refuses_get_and_post(self):
        with mock.patch.object(api.nova, "desktop_get",
                               side_effect=AssertionError("read")) as get, \
                mock.patch.object(api.nova_flavors, "profile_list_with_specs",
                                  side_effect=AssertionError("read")):
            for url in self._urls():
                for method in (self.client.get, self.client.post):
                    response = method(url, {"hours": 5, "name": "x"})
                    self.assertRedirects(response, INDEX, fetch_redirect_response=False,
                                         msg_prefix=url)
        get.assert_not_called()
