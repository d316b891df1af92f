"""The service table: how each process of the dev cloud is started and where it listens."""

from dataclasses import dataclass
from dataclasses import field

from .configs import COMPUTE_HOSTS
from .paths import ETC
from .paths import STATE
from .paths import VBIN


@dataclass
class Service:
    name: str
    argv: list
    port: int = None          # 127.0.0.1 port it must open (None: RPC-only worker)
    stage: int = 2            # 0 infra, 1 keystone+placement, 2 the rest, 3 once placement answers
    env: dict = field(default_factory=dict)


def _uwsgi(name, port, module, threads=1, env=None, pyargv=None):
    argv = [str(VBIN / "uwsgi"), "--http-socket", f"127.0.0.1:{port}", "--module", module,
            "--master", "--processes", "1", "--threads", str(threads), "--enable-threads",
            "--lazy-apps", "--need-app", "--die-on-term", "--buffer-size", "65535",
            "--worker-reload-mercy", "3", "--reload-mercy", "3",
            "--add-header", "Connection: close", "--procname-prefix", f"{name} ",
            "--disable-logging", "--log-4xx", "--log-5xx", "--home", str(VBIN.parent)]
    if pyargv:
        argv += ["--pyargv", pyargv]
    # keystone and placement first: the computes need placement the moment they start
    return Service(name, argv, port, 1 if name in ("keystone", "placement") else 2, env or {})


def _conf(svc, *files):
    out = []
    for f in files:
        out += ["--config-file", str(ETC / svc / f)]
    return out


def rabbit_env():
    r = STATE / "rabbitmq"
    return {
        "HOME": str(r), "RABBITMQ_CONF_ENV_FILE": "/dev/null",
        "RABBITMQ_NODENAME": "heps-devcloud@localhost", "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": "5672", "RABBITMQ_DIST_PORT": "25672",
        "ERL_EPMD_ADDRESS": "127.0.0.1", "ERL_EPMD_PORT": "14369",
        "RABBITMQ_MNESIA_BASE": str(r / "mnesia"), "RABBITMQ_LOG_BASE": str(r / "log"),
        "RABBITMQ_CONFIG_FILE": str(r / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(r / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(r / "rabbit.pid"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "RABBITMQ_CTL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def mariadb_argv():
    m = STATE / "mysql"
    return ["/usr/sbin/mariadbd", "--no-defaults", "--user=root", f"--datadir={m / 'data'}",
            f"--socket={m / 'mysqld.sock'}", f"--pid-file={m / 'mysqld.pid'}", "--port=13306",
            "--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin",
            "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=256M",
            "--max-connections=1000", "--character-set-server=utf8mb3",
            "--collation-server=utf8mb3_general_ci", f"--tmpdir={m / 'tmp'}"]


def table(compute_launcher):
    """All services, in start order. compute_launcher: heps-devcloud-compute or None."""
    nova = _conf("nova", "nova.conf")
    manila = _conf("manila", "manila.conf")
    cinder = _conf("cinder", "cinder.conf")
    svcs = [
        Service("mariadb", mariadb_argv(), 13306, 0),
        Service("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], 5672, 0, rabbit_env()),
        _uwsgi("keystone", 5000, "keystone.wsgi.api:application", 2,
               {"OS_KEYSTONE_CONFIG_DIR": str(ETC / "keystone")}),
        _uwsgi("placement", 8778, "placement.wsgi.api:application", 2,
               {"OS_PLACEMENT_CONFIG_DIR": str(ETC / "placement")}),
        _uwsgi("glance-api", 9292, "glance.wsgi.api:application", 1,
               {"OS_GLANCE_CONFIG_DIR": str(ETC / "glance")}),
        _uwsgi("neutron-api", 9696, "neutron.wsgi.api:application", 1,
               {"OS_NEUTRON_CONFIG_DIR": str(ETC / "neutron"),
                "OS_NEUTRON_CONFIG_FILES": "neutron.conf;ml2_conf.ini"}),
        _uwsgi("nova-api", 8774, "nova.wsgi.osapi_compute:application", 2,
               {"OS_NOVA_CONFIG_DIR": str(ETC / "nova"),
                "OS_NOVA_CONFIG_FILES": "api-paste.ini;nova.conf"}),
        Service("nova-conductor", [str(VBIN / "nova-conductor"), *nova]),
        Service("nova-scheduler", [str(VBIN / "nova-scheduler"), *nova]),
        Service("nova-novncproxy", [str(VBIN / "nova-novncproxy"), *nova,
                                    "--web", "/usr/share/novnc"], 6080),
        Service("nova-spicehtml5proxy", [str(VBIN / "nova-spicehtml5proxy"), *nova,
                                         "--web", "/usr/share/spice-html5"], 6082),
        _uwsgi("manila-api", 8786, "manila.wsgi.api:application", 1,
               pyargv=f"--config-file {ETC / 'manila' / 'manila.conf'}"),
        Service("manila-scheduler", [str(VBIN / "manila-scheduler"), *manila]),
        Service("manila-share", [str(VBIN / "manila-share"), *manila]),
        _uwsgi("cinder-api", 8776, "cinder.wsgi.api:application", 1,
               pyargv=f"--config-file {ETC / 'cinder' / 'cinder.conf'}"),
        Service("cinder-scheduler", [str(VBIN / "cinder-scheduler"), *cinder]),
        Service("cinder-volume", [str(VBIN / "cinder-volume"), *cinder]),
        Service("cinder-backup", [str(VBIN / "cinder-backup"), *cinder]),
    ]
    launcher = str(compute_launcher or VBIN / "nova-compute")
    for host in COMPUTE_HOSTS:
        svcs.append(Service(f"nova-compute-{host}", [
            launcher, *nova, "--config-file", str(ETC / "nova" / f"nova-compute-{host}.conf")],
            None, 3))
    return svcs
