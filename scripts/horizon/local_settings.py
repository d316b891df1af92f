# Horizon local_settings for the demo and the browser tests (scripts/horizon-serve):
# real Horizon, pointed at the dev cloud (or any keystone in OPENSTACK_KEYSTONE_URL).
import os

from django.utils.translation import gettext_lazy as _
from openstack_dashboard.settings import HORIZON_CONFIG  # noqa: F401

_STATE = os.environ.get("HEPS_HORIZON_STATE", "/tmp/heps-horizon")  # noqa: S108

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
WEBROOT = "/"
LOCAL_PATH = _STATE
SECRET_KEY_FILE = os.path.join(_STATE, "secret_key")
STATIC_ROOT = os.path.join(_STATE, "static")
COMPRESS_OFFLINE = True

OPENSTACK_HOST = "127.0.0.1"
OPENSTACK_KEYSTONE_URL = os.environ.get("OPENSTACK_KEYSTONE_URL", "http://127.0.0.1:5000/v3")
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_API_VERSIONS = {"identity": 3, "image": 2, "volume": 3, "compute": 2}
OPENSTACK_ENDPOINT_TYPE = "publicURL"
OPENSTACK_NEUTRON_NETWORK = {
    "enable_router": True,
    "enable_quotas": False,
    "enable_distributed_router": False,
    "enable_ha_router": False,
    "enable_fip_topology_check": True,
}
OPENSTACK_CINDER_FEATURES = {"enable_backup": False}

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# One cache for every uWSGI process, as memcached is in production (a form's GET and its
# POST may be served by different processes).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": os.path.join(_STATE, "cache")}}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_TIMEOUT = 3600 * 8

CONSOLE_TYPE = "AUTO"
TIME_ZONE = "UTC"
LANGUAGES = (("en", _("English")), ("zh-hans", _("Simplified Chinese")))

# Console URLs carry tokens: the clients never log HTTP bodies here (DEBUG off), and
# only warnings and errors are written.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "heps_desktop_dashboard": {"level": "INFO"},
        "horizon": {"level": "WARNING"},
        "openstack_dashboard": {"level": "WARNING"},
    },
}
