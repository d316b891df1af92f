"""cinder's global CONF for the driver tests. These run in a process of their own
(tests/test_cinder_suite.py starts it): nova and cinder register options of the same names
in oslo.config's one global CONF, so they cannot share a process with the nova tests."""

import pytest


@pytest.fixture(scope='session')
def cinder_conf():
    pytest.importorskip('cinder')
    from cinder import objects
    from cinder.common import config  # noqa: F401 (registers cinder's options)
    from oslo_config import cfg

    objects.register_all()
    cfg.CONF([], project='cinder', default_config_files=[])
    # the backup drivers' base class opens cinder's DB API (never used here)
    cfg.CONF.set_override('connection', 'sqlite://', group='database')
    return cfg.CONF


@pytest.fixture
def volume_driver(cinder_conf, tmp_path):
    from cinder.volume import configuration
    from cinder.volume import driver
    from heps_devcloud import cinder_driver

    cinder_conf.set_override('heps_volumes_dir', str(tmp_path / 'volumes'),
                             group=configuration.SHARED_CONF_GROUP)
    conf = configuration.Configuration(driver.volume_opts, config_group='heps')
    drv = cinder_driver.HepsFileVolumeDriver(configuration=conf)
    drv.do_setup(None)
    drv.check_for_setup_error()
    yield drv
    cinder_conf.clear_override('heps_volumes_dir',
                               group=configuration.SHARED_CONF_GROUP)
