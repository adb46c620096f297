"""manage.py signing_key_rotate: activate a new issuer key; the old one stays published."""
from django.core.management.base import BaseCommand, CommandError

from credentials.did_resolution import DidNotFound, institution_get_by_slug
from credentials.services.keys import signing_key_rotate
from mcportal.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Activate a new Ed25519 signing key for an institution (or the portal). The previous key "
        "is retired but stays in the DID document, so credentials it signed keep verifying."
    )

    def add_arguments(self, parser):
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--institution", metavar="SLUG", help="the institution's slug")
        owner.add_argument(
            "--portal", action="store_true", help="the portal's own key (/.well-known/did.json)"
        )

    def handle(self, *args, institution=None, portal=False, **options):
        try:
            owner = None if portal else institution_get_by_slug(institution)
            key = signing_key_rotate(institution=owner, actor=None)
        except (DidNotFound, ApplicationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Active signing key: {key.public_key_multibase}"))
