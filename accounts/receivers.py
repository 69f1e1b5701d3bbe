"""A user's cached auth state (``accounts.authentication``) is dropped whenever the row changes."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import auth_state_invalidate
from accounts.models import User

# Fields the auth state does not keep: saving only these leaves it valid (every log-in saves last_login).
_NOT_CACHED = frozenset({"last_login"})


@receiver(post_save, sender=User, dispatch_uid="accounts_auth_state_saved")
def _user_saved(sender: type[User], instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= _NOT_CACHED:
        return
    auth_state_invalidate(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts_auth_state_deleted")
def _user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    auth_state_invalidate(instance.pk)
