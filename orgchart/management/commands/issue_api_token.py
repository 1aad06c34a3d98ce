from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from orgchart import services
from orgchart.models import ApiToken


class Command(BaseCommand):
    help = "Issue a bearer token for the JSON API (prints it once), list a user's tokens, or revoke one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", metavar="PREFIX", help="revoke the user's token starting with PREFIX")
        parser.add_argument("--list", action="store_true", dest="list_tokens", help="list the user's tokens")

    def handle(self, *args, username, revoke=None, list_tokens=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if list_tokens:
            for token in ApiToken.objects.filter(user=user).order_by("created_at"):
                state = f"revoked {token.revoked_at:%d/%m/%Y %H:%M}" if token.revoked_at else "active"
                self.stdout.write(f"{token.prefix}…  created {token.created_at:%d/%m/%Y %H:%M}  {state}")
            return
        if revoke:
            tokens = list(ApiToken.objects.filter(user=user, prefix__startswith=revoke[:8], revoked_at__isnull=True))
            if not tokens:
                raise CommandError(f"No active token of {username!r} starts with {revoke!r}.")
            for token in tokens:
                services.api_token_revoke(token=token)
            self.stdout.write(f"Revoked {len(tokens)} token(s).")
            return
        _token, key = services.api_token_issue(user=user)
        self.stdout.write(key)
