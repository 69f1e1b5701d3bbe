"""What each staff role may do in the back office: one table, read by ``User.has_perm``.

Keys are ``app_label.model``; values are the admin actions (``view``, ``add``, ``change``, ``delete``, or an
action's own name such as ``retry``) allowed on that model. A model that is not listed is invisible to the role:
it is not in the sidebar, its pages answer 403. Admins may do everything; customers nothing.
"""

from collections.abc import Mapping

ALL = frozenset({"view", "add", "change", "delete"})
READ = frozenset({"view"})

MANAGER_PERMISSIONS: Mapping[str, frozenset[str]] = {
    # Orders: read, and move along the lifecycle (``change`` is what the lifecycle buttons and actions need).
    "orders.order": frozenset({"view", "change"}),
    "orders.orderitem": READ,
    "orders.orderstatusevent": READ,
    # The catalog: products and categories are edited through ``catalog.services``.
    "catalog.product": ALL,
    "catalog.category": ALL,
    # The stock ledger is append-only; managers write it through the "adjust stock" page.
    "inventory.stockmovement": READ,
    "payments.payment": READ,
    # The outbox is read-only, with its retry action.
    "emails.outboxmessage": frozenset({"view", "retry"}),
}


def role_has_perm(*, role: str, perm: str) -> bool:
    """``perm`` is Django's ``app_label.action_model`` (e.g. ``orders.change_order``)."""
    if role == "admin":
        return True
    if role != "manager":
        return False
    app_label, _, codename = perm.partition(".")
    action, _, model = codename.partition("_")
    return action in MANAGER_PERMISSIONS.get(f"{app_label}.{model}", frozenset())


def role_has_module_perms(*, role: str, app_label: str) -> bool:
    if role == "admin":
        return True
    if role != "manager":
        return False
    return any(key.partition(".")[0] == app_label for key in MANAGER_PERMISSIONS)
