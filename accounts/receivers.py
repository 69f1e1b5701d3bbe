"""A user's cached auth state (``accounts.authentication``) is dropped whenever the row is saved or deleted
(``UserQuerySet.update`` drops it for bulk updates)."""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import auth_state_invalidate
from accounts.models import AUTH_STATE_IGNORED_FIELDS, User


@receiver(post_save, sender=User, dispatch_uid="accounts_auth_state_saved")
def _user_saved(sender: type[User], instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= AUTH_STATE_IGNORED_FIELDS:
        return
    auth_state_invalidate(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts_auth_state_deleted")
def _user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    auth_state_invalidate(instance.pk)
