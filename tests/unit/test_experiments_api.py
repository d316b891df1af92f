"""api/manila.py: the client built from the request (token, sharev2 endpoint, 2.45,
once per request) and Manila failures turned into ShareServiceUnavailable."""

from unittest import mock

import pytest
import requests
from manilaclient.common.apiclient import exceptions as manila_exc
from openstack_dashboard.test import helpers as test

from heps_desktop_dashboard.api import manila


class ManilaClientTests(test.TestCase):
    def test_client_uses_the_token_the_catalog_and_microversion_2_45(self):
        request = mock.Mock()
        request.user.token.id = "the-users-token"
        with mock.patch.object(manila.base, "url_for",
                               return_value="http://manila.example/v2") as url_for, \
                mock.patch.object(manila.manila_client, "Client") as client:
            first = manila.manilaclient(request)
            again = manila.manilaclient(request)
            manila.manilaclient(mock.Mock())
        self.assertIs(first, again)                     # memoized per request
        self.assertEqual(client.call_count, 2)          # a new request, a new client
        kwargs = client.call_args_list[0].kwargs
        self.assertEqual(kwargs["input_auth_token"], "the-users-token")
        self.assertEqual(kwargs["service_catalog_url"], "http://manila.example/v2")
        self.assertEqual(kwargs["api_version"].get_string(), "2.45")
        self.assertTrue(kwargs["timeout"])
        url_for.assert_any_call(request, "sharev2")

    def test_no_sharev2_endpoint_is_service_unavailable(self):
        with mock.patch.object(manila.base, "url_for", side_effect=Exception("no service")):
            with self.assertRaises(manila.ShareServiceUnavailable):
                manila.share_endpoint(self.request)


def _client_raising(exc):
    client = mock.Mock()
    client.shares.list.side_effect = exc
    client.share_access_rules.access_list.side_effect = exc
    return client


@pytest.mark.parametrize("exc", [
    requests.exceptions.ConnectionError("refused"),
    requests.exceptions.ReadTimeout("slow"),
    manila_exc.ConnectionRefused("refused"),
    manila_exc.InternalServerError(http_status=500),
    manila_exc.HttpError(http_status=503),
])
def test_manila_failures_become_share_service_unavailable(exc):
    with pytest.raises(manila.ShareServiceUnavailable):
        manila.share_list(_client_raising(exc))


@pytest.mark.parametrize("exc", [manila_exc.NotFound(), manila_exc.BadRequest(),
                                 manila_exc.Forbidden()])
def test_client_errors_pass_through(exc):
    with pytest.raises(type(exc)):
        manila.share_list(_client_raising(exc))


def test_desktop_rules_filters_on_metadata_and_double_checks():
    client = mock.Mock()
    rule = mock.Mock(_info={"id": "r1", "metadata": {"heps:desktop": "d1"}})
    other = mock.Mock(_info={"id": "r2", "metadata": {"heps:desktop": "d2"}})
    client.share_access_rules.access_list.return_value = [rule, other]
    found = manila.desktop_rules(client, "s1", "d1")
    assert [r["id"] for r in found] == ["r1"]
    client.share_access_rules.access_list.assert_called_once_with(
        "s1", {"metadata": {"heps:desktop": "d1"}})


def test_access_allow_is_an_ip_rule_with_metadata():
    client = mock.Mock()
    client.shares.allow.return_value = {"id": "r1"}
    assert manila.access_allow(client, "s1", "10.0.0.5", "ro", {"heps:desktop": "d1"}) == \
        {"id": "r1"}
    client.shares.allow.assert_called_once_with("s1", "ip", "10.0.0.5", "ro",
                                                metadata={"heps:desktop": "d1"})
