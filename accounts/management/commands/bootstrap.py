from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import demo_users_ensure


class Command(BaseCommand):
    help = "Create the demo admin, manager and customer once and print their credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_USERS:
            self.stdout.write("DEMO_USERS is off: no demo users created.")
            return
        rows = demo_users_ensure()
        self.stdout.write(self.style.SUCCESS("Demo users (created once, reused afterwards):"))
        self.stdout.write(f"  {'role':<10} {'email':<24} password")
        for role, email, password in rows:
            self.stdout.write(f"  {role:<10} {email:<24} {password}")
        self.stdout.write(f"E-mail backend: {settings.EMAIL_BACKEND}")
        if "filebased" in settings.EMAIL_BACKEND:
            self.stdout.write(f"  mail is written to {settings.EMAIL_FILE_PATH}")
        self.stdout.write("API: http://localhost:8000/api/v1/  docs: http://localhost:8000/api/docs/")
