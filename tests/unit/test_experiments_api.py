"""api/manila.py: the client built from the api context (its session, the sharev2
endpoint, microversion 2.45, once per context), Manila failures turned into
ShareServiceUnavailable, and the experiment-share and access-rule calls."""

from unittest import mock

import pytest
import requests
from keystoneauth1 import exceptions as ks_exc
from manilaclient.common.apiclient import exceptions as manila_exc

from heps_desktop_dashboard.api import manila
from test_data import contexts
from test_data import experiments_data as edata


def test_client_uses_the_contexts_session_and_microversion_2_45():
    user = contexts.user_context()
    with mock.patch.object(manila.manila_client, "Client") as client:
        first = manila.manilaclient(user)
        again = manila.manilaclient(user)
        manila.manilaclient(contexts.user_context())
    assert first is again                           # one client per context
    assert client.call_count == 2                   # a new context, a new client
    args, kwargs = client.call_args_list[0]
    assert args == ("2.45",)
    assert kwargs["session"] is user.session
    assert kwargs["service_type"] == "sharev2"
    assert kwargs["api_version"].get_string() == "2.45"
    assert kwargs["timeout"]


def _client(exc=None):
    client = mock.Mock()
    if exc is not None:
        client.shares.list.side_effect = exc
        client.share_access_rules.access_list.side_effect = exc
    return client


@pytest.fixture
def client():
    found = _client()
    with mock.patch.object(manila, "manilaclient", return_value=found):
        yield found


@pytest.mark.parametrize("exc", [
    requests.exceptions.ConnectionError("refused"),
    requests.exceptions.ReadTimeout("slow"),
    manila_exc.ConnectionRefused("refused"),
    manila_exc.InternalServerError(http_status=500),
    manila_exc.HttpError(http_status=503),
    ks_exc.ConnectFailure("refused"),
    ks_exc.EndpointNotFound("no sharev2 endpoint in the catalog"),
    ks_exc.HttpError(http_status=502),
])
def test_manila_failures_become_share_service_unavailable(exc):
    with mock.patch.object(manila, "manilaclient", return_value=_client(exc)):
        with pytest.raises(manila.ShareServiceUnavailable):
            manila.share_list(contexts.user_context())
        with pytest.raises(manila.ShareServiceUnavailable):
            manila.desktop_rules(contexts.user_context(), "s1", "d1")


@pytest.mark.parametrize("exc", [manila_exc.NotFound(), manila_exc.BadRequest(),
                                 manila_exc.Forbidden()])
def test_client_errors_pass_through(exc):
    with mock.patch.object(manila, "manilaclient", return_value=_client(exc)):
        with pytest.raises(type(exc)):
            manila.share_list(contexts.user_context())


def test_desktop_rules_filters_on_metadata_and_double_checks(client):
    rule = mock.Mock(_info={"id": "r1", "metadata": {"heps:desktop": "d1"}})
    other = mock.Mock(_info={"id": "r2", "metadata": {"heps:desktop": "d2"}})
    client.share_access_rules.access_list.return_value = [rule, other]
    found = manila.desktop_rules(contexts.user_context(), "s1", "d1")
    assert [r["id"] for r in found] == ["r1"]
    client.share_access_rules.access_list.assert_called_once_with(
        "s1", {"metadata": {"heps:desktop": "d1"}})


def test_access_allow_is_an_ip_rule_with_metadata(client):
    client.shares.allow.return_value = {"id": "r1"}
    found = manila.access_allow(contexts.user_context(), "s1", "10.0.0.5", "ro",
                                {"heps:desktop": "d1"})
    assert found == {"id": "r1"}
    client.shares.allow.assert_called_once_with("s1", "ip", "10.0.0.5", "ro",
                                                metadata={"heps:desktop": "d1"})


def _shares(client, *infos):
    client.shares.list.return_value = [mock.Mock(_info=info) for info in infos]
    client.share_export_locations.list.side_effect = lambda share_id: [
        mock.Mock(_info={"path": edata.EXPORT + share_id, "preferred": True})]


def test_experiment_shares_of_a_user_are_its_projects_in_one_call(client):
    plain = dict(edata.share_info("raw", share_id="plain"), metadata={})
    _shares(client, edata.share_info("raw"), edata.share_info("results", status="error"),
            edata.share_info("raw", share_id="public", project=edata.OTHER_PROJECT,
                             public=True), plain)
    found = manila.experiment_shares(contexts.user_context(project_id=edata.PROJECT))
    assert [s.id for s in found] == [edata.RAW_ID, edata.RESULTS_ID]
    assert client.shares.list.call_args.kwargs["search_opts"] == {}
    assert all(s.exports == () for s in found)
    client.share_export_locations.list.assert_not_called()


def test_experiment_shares_with_exports_reads_them_for_available_shares_only(client):
    _shares(client, edata.share_info("raw"), edata.share_info("results", status="error"))
    found = manila.experiment_shares(contexts.user_context(project_id=edata.PROJECT),
                                     with_exports=True)
    assert found[0].exports == (edata.EXPORT + edata.RAW_ID,) and found[1].exports == ()
    client.share_export_locations.list.assert_called_once_with(edata.RAW_ID)


def test_an_operator_lists_every_project_or_one(client):
    _shares(client, edata.share_info("raw"),
            edata.share_info("raw", share_id="b1", project=edata.OTHER_PROJECT))
    operator = contexts.operator_context()
    assert {s.id for s in manila.experiment_shares(operator)} == {edata.RAW_ID, "b1"}
    assert client.shares.list.call_args.kwargs["search_opts"] == {"all_tenants": 1}
    found = manila.experiment_shares(operator, edata.OTHER_PROJECT)
    assert [s.id for s in found] == ["b1"]
    assert client.shares.list.call_args.kwargs["search_opts"] == {
        "all_tenants": 1, "project_id": edata.OTHER_PROJECT}


def test_share_with_exports(client):
    client.shares.get.return_value = mock.Mock(_info=edata.share_info("results"))
    client.share_export_locations.list.return_value = [
        mock.Mock(_info={"path": "admin:/x", "preferred": True, "is_admin_only": True}),
        mock.Mock(_info={"path": "b:/x", "preferred": False}),
        mock.Mock(_info={"path": "a:/x", "preferred": True})]
    share = manila.share_with_exports(contexts.user_context(), edata.RESULTS_ID)
    assert (share.kind, share.experiment, share.exports) == (
        "results", edata.EXPERIMENT, ("a:/x", "b:/x"))
