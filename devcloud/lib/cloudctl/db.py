"""MariaDB data dir and databases, and the one-time schema syncs (run in parallel)."""

import shutil
import subprocess
import threading
import time

from .configs import db_url
from .configs import transport_url
from .paths import DONE
from .paths import ETC
from .paths import MYSQL_SOCK
from .paths import STATE
from .paths import VBIN
from .paths import log_of

DATABASES = ("keystone", "placement", "nova_api", "nova", "nova_cell0", "glance", "neutron",
             "manila", "cinder")


class SyncError(Exception):
    pass


def init_datadir():
    """mariadb-install-db once (~2 s); True when it ran."""
    data = STATE / "mysql" / "data"
    if (data / "mysql").exists():
        return False
    shutil.rmtree(data, ignore_errors=True)
    (STATE / "mysql" / "tmp").mkdir(parents=True, exist_ok=True)
    with open(log_of("mariadb"), "ab") as log:
        subprocess.run(["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={data}",
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       stdout=log, stderr=log, check=True)
    return True


def sql(statement):
    return subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={MYSQL_SOCK}",
                           "-N", "-B", "-e", statement], capture_output=True, text=True)


def ensure_databases(pw):
    stmts = [f"CREATE DATABASE IF NOT EXISTS {d} CHARACTER SET utf8mb3;" for d in DATABASES]
    stmts += [f"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '{pw['DB_PASSWORD']}';",
              "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"]
    r = sql(" ".join(stmts))
    if r.returncode != 0:
        raise SyncError(f"mariadb: creating databases failed: {r.stderr.strip()}")


def _chains(pw):
    n = ["--config-file", str(ETC / "nova" / "nova.conf")]
    ks = ["--config-file", str(ETC / "keystone" / "keystone.conf")]
    url = db_url(pw)
    return {
        "keystone": [
            [VBIN / "keystone-manage", *ks, "db_sync"],
            [VBIN / "keystone-manage", *ks, "fernet_setup", "--keystone-user", "root",
             "--keystone-group", "root"],
            [VBIN / "keystone-manage", *ks, "credential_setup", "--keystone-user", "root",
             "--keystone-group", "root"],
            [VBIN / "keystone-manage", *ks, "bootstrap", "--bootstrap-password",
             pw["ADMIN_PASSWORD"], "--bootstrap-admin-url", "http://127.0.0.1:5000/v3",
             "--bootstrap-internal-url", "http://127.0.0.1:5000/v3",
             "--bootstrap-public-url", "http://127.0.0.1:5000/v3",
             "--bootstrap-region-id", "RegionOne"]],
        "placement": [[VBIN / "placement-manage", "--config-file",
                       str(ETC / "placement" / "placement.conf"), "db", "sync"]],
        "nova": [
            [VBIN / "nova-manage", *n, "api_db", "sync"],
            [VBIN / "nova-manage", *n, "cell_v2", "map_cell0", "--database_connection",
             f"{url}/nova_cell0?charset=utf8"],
            [VBIN / "nova-manage", *n, "cell_v2", "create_cell", "--name", "cell1",
             "--database_connection", f"{url}/nova?charset=utf8",
             "--transport-url", transport_url()],
            [VBIN / "nova-manage", *n, "db", "sync"]],
        "glance": [[VBIN / "glance-manage", "--config-file",
                    str(ETC / "glance" / "glance-api.conf"), "db_sync"]],
        "manila": [[VBIN / "manila-manage", "--config-file",
                    str(ETC / "manila" / "manila.conf"), "db", "sync"]],
        "cinder": [[VBIN / "cinder-manage", "--config-file",
                    str(ETC / "cinder" / "cinder.conf"), "db", "sync"]],
        "neutron": [[VBIN / "neutron-db-manage",
                     "--config-file", str(ETC / "neutron" / "neutron.conf"),
                     "--config-file", str(ETC / "neutron" / "ml2_conf.ini"), "upgrade", "heads"]],
    }


def sync_all(pw, say):
    """Run the missing schema syncs in parallel; each chain marks itself done."""
    DONE.mkdir(parents=True, exist_ok=True)
    todo = {k: v for k, v in _chains(pw).items() if not (DONE / f"dbsync-{k}").exists()}
    if not todo:
        return
    errors, times = [], {}

    def run(name, chain):
        t = time.monotonic()
        with open(log_of(f"dbsync-{name}"), "ab") as log:
            for argv in chain:
                log.write(f"\n$ {' '.join(map(str, argv[:6]))} ...\n".encode())
                log.flush()
                if subprocess.run([str(a) for a in argv], stdout=log, stderr=log).returncode:
                    errors.append(f"{name}: `{' '.join(map(str, argv[1:2] + argv[-2:]))}` failed "
                                  f"(log: {log_of('dbsync-' + name)})")
                    return
        (DONE / f"dbsync-{name}").write_text("ok\n")
        times[name] = time.monotonic() - t

    threads = [threading.Thread(target=run, args=kv) for kv in todo.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SyncError("database sync failed:\n  " + "\n  ".join(errors))
    say("db sync: " + ", ".join(f"{k} {v:.0f}s" for k, v in sorted(times.items())))
