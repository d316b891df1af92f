"""Argument parsing for devcloud/cloud."""

import argparse
import signal

from . import commands
from . import onoff
from . import show_image


def main(argv):
    p = argparse.ArgumentParser(prog="devcloud/cloud", description=(
        "A small real OpenStack on 127.0.0.1 for heps-desktop-dashboard "
        "(state in .devcloud/state, logs in .devcloud/state/logs)."))
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="install on first use, start everything, wait until healthy, seed")
    sub.add_parser("down", help="stop every dev cloud process (incl. display servers)")
    sub.add_parser("status", help="each service: running/stopped, pid, port, log")
    sub.add_parser("reset", help="down, then delete the state dir (keeps the venv)")
    rs = sub.add_parser("restart", help="stop some services (default: all), then up")
    rs.add_argument("service", nargs="*", help="e.g. nova-api nova-compute-heps-gpu-01")
    for verb, what in (("stop", "stop these services only (the rest keeps running)"),
                       ("start", "start these services again and wait until they answer")):
        one = sub.add_parser(verb, help=what)
        one.add_argument("service", nargs="+", help="e.g. nova-api manila-api glance-api")
    lg = sub.add_parser("logs", help="list logs, or show the last lines of some services' logs")
    lg.add_argument("service", nargs="*", help="e.g. nova-api keystone dbsync-nova")
    lg.add_argument("-n", "--lines", type=int, default=40)
    lg.add_argument("-f", "--follow", action="store_true")
    show_image.add_parser(sub)
    args = p.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `status | head` ends quietly
    lock = commands.locked
    return {"up": lock(commands.up), "down": lock(commands.down), "status": commands.status,
            "reset": lock(commands.reset), "restart": lock(commands.restart),
            "stop": lock(onoff.stop), "start": lock(onoff.start),
            "logs": commands.logs, "show-image": show_image.run}[args.cmd](args)
