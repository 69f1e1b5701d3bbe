from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.services import demo_users_ensure


class Command(BaseCommand):
    help = (
        "Create the demo users once, seed the demo catalog on an empty database (SEED_DEMO) and print where the "
        "shop answers (PORT)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEMO_USERS:
            rows = demo_users_ensure()
            self.stdout.write(self.style.SUCCESS("Demo users (created once, reused afterwards):"))
            self.stdout.write(f"  {'role':<10} {'email':<24} password")
            for role, email, password in rows:
                self.stdout.write(f"  {role:<10} {email:<24} {password}")
        else:
            self.stdout.write("DEMO_USERS is off: no demo users created.")
        if settings.SEED_DEMO:
            # A no-op once the catalog has rows; the pictures are drawn by the worker.
            call_command(
                "seed_catalog",
                if_empty=True,
                images=True,
                products=settings.SEED_DEMO_PRODUCTS,
                categories=30,
                stdout=self.stdout,
            )
        self.stdout.write(f"E-mail backend: {settings.EMAIL_BACKEND}")
        if "filebased" in settings.EMAIL_BACKEND:
            self.stdout.write(f"  mail is written to {settings.EMAIL_FILE_PATH}")
        base = f"http://localhost:{settings.SERVER_PORT}"
        self.stdout.write(self.style.SUCCESS("The shop answers on:"))
        for label, path in (
            ("API", "/api/v1/"),
            ("products", "/api/v1/products/"),
            ("API docs", "/api/docs/"),
            ("ReDoc", "/api/redoc/"),
            ("admin", "/admin/"),
            ("health", "/healthz"),
        ):
            self.stdout.write(f"  {label:<10} {base}{path}")
