"""Alias kept for operators' scripts: ``heps_orphan_rules [--apply]`` is
``heps_desktops_reconcile --only orphans`` (a dry run unless --apply)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Same as heps_desktops_reconcile --only orphans (dry run unless --apply)."

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true")
        parser.add_argument("--os-cloud", default=None)

    def handle(self, *args, **options):
        extra = [] if options["apply"] else ["--dry-run"]
        if options["os_cloud"]:
            extra += ["--os-cloud", options["os_cloud"]]
        call_command("heps_desktops_reconcile", "--only", "orphans", *extra,
                     stdout=self.stdout, stderr=self.stderr)
