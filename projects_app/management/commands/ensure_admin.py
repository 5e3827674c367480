from django.core.management.base import BaseCommand

from projects_app.services import superuser_ensure


class Command(BaseCommand):
    help = "Create the `admin` superuser with a generated password, printed once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        password = superuser_ensure(username=username)
        if password is None:
            self.stdout.write(f"Superuser {username!r} already exists; password unchanged.")
            return
        self.stdout.write(self.style.SUCCESS(f"Created superuser {username!r}."))
        self.stdout.write(f"Password (shown once): {password}")
