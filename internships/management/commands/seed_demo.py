from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from contracts.models import Contract
from core.progress import progress
from internships.demo import DEFAULT_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo data set (idempotent: what exists is left as it is)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help="Password of the demo users (default: %(default)s).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has contracts (used by `make run`).",
        )

    def handle(self, *args, password: str, if_empty: bool, **options) -> None:
        if if_empty and Contract.objects.exists():
            self.stdout.write(_("The database already has data; demo data not loaded."))
            return
        result = seed_demo(
            password=password,
            progress=lambda items, total, label: progress(
                items, total=total, label=label, stream=self.stderr._out
            ),
        )
        created = ", ".join(f"{name}: {number}" for name, number in result.created.items())
        self.stdout.write(
            self.style.SUCCESS(_("Demo data ready (%s).") % (created or _("nothing new")))
        )
