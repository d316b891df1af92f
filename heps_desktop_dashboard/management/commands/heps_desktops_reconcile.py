"""The operator's loop: ``heps_desktops_reconcile [--loop SECONDS] [--dry-run] [--now
ISO8601] [--os-cloud NAME] [--only PART ...]`` (services/reconcile.py does the work)."""

import time

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from heps_desktop_dashboard.api import context
from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.services import reconcile


class Command(BaseCommand):
    help = ("Carry experiment-data attach/detach on, finish deletes, revoke access that "
            "outlived its desktop, and enforce desktop lifetimes, over every project.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS", default=None,
                            help="run a pass every SECONDS (default: one pass)")
        parser.add_argument("--dry-run", action="store_true",
                            help="print what a pass would do, change nothing")
        parser.add_argument("--now", default=None, metavar="ISO8601",
                            help="judge lifetimes as if it were this UTC time")
        parser.add_argument("--os-cloud", default=None,
                            help="clouds.yaml cloud (default: HEPS_DESKTOPS['operator_cloud'],"
                                 " else OS_CLOUD / OS_* variables)")
        parser.add_argument("--only", action="append", choices=reconcile.PARTS,
                            help="run only this part (repeatable)")

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            try:
                now = desktops.parse_expiry(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
        try:
            ctx = context.for_operator(options["os_cloud"])
        except Exception as exc:
            raise CommandError(f"cannot load the operator credential: {exc}") from exc
        while True:
            failed = self._one_pass(ctx, now, options)
            if options["loop"] is None:
                if failed:
                    raise CommandError(f"{failed} step(s) failed (see above)")
                return
            time.sleep(max(options["loop"], 1))

    def _one_pass(self, ctx, now, options):
        run = reconcile.Pass(ctx, now=now, dry_run=options["dry_run"], only=options["only"],
                             out=self.stdout.write)
        try:
            report = run.run()
        except Exception as exc:
            if options["loop"] is None:
                raise CommandError(f"pass failed: {type(exc).__name__}: {exc}") from exc
            self.stderr.write(f"pass failed: {type(exc).__name__}: {exc}")
            return 1
        stamp = desktops.format_expiry(desktops.utcnow())
        self.stdout.write(f"{stamp} {report.summary()}")
        self.stdout.flush()
        return len(report.failed)
