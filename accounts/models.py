import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.roles import role_has_module_perms, role_has_perm


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    CUSTOMER = "customer", "Customer"


# Fields the cached auth state (``accounts.authentication``) does not keep: changing only these leaves it valid.
AUTH_STATE_IGNORED_FIELDS = frozenset({"last_login"})


class UserQuerySet(models.QuerySet["User"]):
    def update(self, **kwargs: Any) -> int:
        """``UPDATE`` as Django does it, and the cached auth state of every user it changes dropped.

        A bulk update sends no ``post_save``, so without this a deactivation or a role change written with
        ``User.objects.filter(...).update(...)`` (or ``bulk_update``, which calls it) would leave the old state
        cached for up to ``AUTH_STATE_CACHE_SECONDS``. The rows are locked while their ids are read, so the ids are
        exactly the rows the ``UPDATE`` changes."""
        if set(kwargs) <= AUTH_STATE_IGNORED_FIELDS:
            return super().update(**kwargs)
        from accounts.authentication import auth_state_invalidate  # here: it imports this module

        with transaction.atomic(using=self.db):
            ids = list(self.select_for_update().values_list("pk", flat=True))
            changed = super().update(**kwargs)
            for user_id in ids:
                auth_state_invalidate(user_id)
        return changed


class UserManager(BaseUserManager["User"].from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Log-in by e-mail is case-insensitive, matching the unique constraint.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).strip(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_verified", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    """E-mail login, one role. Managers and admins are staff; only admins manage users and roles."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER, db_index=True)
    is_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"
        ordering = ["date_joined"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="users_role_valid"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager_or_admin(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    # Django admin integration: staff status and permissions follow the role.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_manager_or_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.is_admin

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        # What a role may do is the table in ``accounts.roles``.
        return self.is_active and role_has_perm(role=self.role, perm=perm)

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and role_has_module_perms(role=self.role, app_label=app_label)
