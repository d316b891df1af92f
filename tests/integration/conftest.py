"""Integration tests: real dev cloud (devcloud/cloud), no mocks.

Fixtures come from tests/cloud_fixtures.py (wired as a plugin in
tests/conftest.py). Every test module here is marked ``integration`` (tests/conftest.py).

Here: ``cloud_settings`` (Horizon's settings pointed at the dev cloud, the dev cloud's
plugin settings), ``operator`` (the reconciler's api context: clouds.yaml
``devcloud-admin``), and the experiment-data fixtures shared by the test_experiment_*
modules (integration/experiment_support.py has the helpers).
"""

import pytest
from cloud_fixtures import SEED

from heps_desktop_dashboard import api
from integration import experiment_support as support
from integration.horizon_request import make_request
from integration.horizon_request import use_devcloud

# The dev cloud's plugin settings (as scripts/horizon/_1899_heps_devcloud_settings.py).
DEVCLOUD_HEPS_DESKTOPS = {"network": "desktop-net", "security_group": SEED.SECURITY_GROUP}


@pytest.fixture
def cloud_settings(settings, devcloud):
    """Horizon's settings for the dev cloud; tests change ``settings.HEPS_DESKTOPS``
    further with ``support.mount_mode(settings, mode)`` and the like."""
    use_devcloud(settings, devcloud)
    settings.HEPS_DESKTOPS = {**getattr(settings, "HEPS_DESKTOPS", {}),
                              **DEVCLOUD_HEPS_DESKTOPS}
    return settings


@pytest.fixture(scope="session")
def operator(devcloud):
    """The operator's api context (what the reconciler runs with)."""
    from heps_desktop_dashboard.api import context

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OS_CLIENT_CONFIG_FILE", str(devcloud.clouds_yaml))
        return context.for_operator("devcloud-admin")


# --- experiment data ----------------------------------------------------------------

@pytest.fixture(scope="session")
def shares(devcloud):
    return devcloud.manifest["shares"]


@pytest.fixture(scope="session")
def raw_id(shares):
    return shares["experiment-a"][f"exp-{support.EXPERIMENT}-raw"]


@pytest.fixture(scope="session")
def results_id(shares):
    return shares["experiment-a"][f"exp-{support.EXPERIMENT}-results"]


@pytest.fixture
def alice_request(devcloud, cloud_settings):
    return make_request(devcloud, "alice")


@pytest.fixture
def alice_ctx(alice_request):
    return api.context.for_request(alice_request)


@pytest.fixture
def launcher(devcloud, admin, cloud_settings):
    made = support.Desktops(devcloud, admin)
    yield made
    made.cleanup()


@pytest.fixture
def alice_share(alice, admin):
    """Shares alice creates for one test (deleted at teardown)."""
    made = []

    def create(experiment, kind, proto="NFS", share_type=None, settle=True):
        return support.create_share(alice, experiment, kind, proto, share_type, settle,
                                    on_created=made.append)

    yield create
    for share_id in made:
        support.manila_call(admin, "POST", f"/shares/{share_id}/action",
                            json={"reset_status": {"status": "available"}}, ok=(202, 404))
        support.manila_call(alice, "DELETE", f"/shares/{share_id}", ok=(202, 404))
