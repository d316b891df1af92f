"""Bugs the hostile-input suite (tests/integration/test_hostile_*.py) found, pinned by
view tests (api layer mocked)."""

from django.urls import reverse
from openstack_dashboard.test import helpers as test

from test_data import quota_data as qdata

QUOTAS = reverse("horizon:admin:desktop_quotas:index")


class HandMadePostTests(test.BaseAdminViewTests):
    @test.create_mocks(qdata.READS)
    def test_a_post_to_the_quota_board_renders_it(self):
        # Horizon asks a POSTed table view for its table before its tables: the board's
        # table class, made per page, was not there yet (AttributeError, HTTP 500).
        qdata.FakeQuotas().install(self)
        res = self.client.post(QUOTAS, {"x": "<script>"})
        self.assertEqual(res.status_code, 200)
        self.assertTemplateUsed(res, "heps_desktops/admin/desktop_quotas/index.html")
