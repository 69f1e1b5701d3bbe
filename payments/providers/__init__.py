"""Provider registry: ``settings.PAYMENT_PROVIDERS`` maps a name to a class path.

Adding a real provider means adding one module that implements
:class:`payments.providers.base.PaymentProvider` and one entry in that setting.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import PaymentProvider


class UnknownProviderError(LookupError):
    pass


def provider_names() -> list[str]:
    return sorted(settings.PAYMENT_PROVIDERS)


def provider_get(name: str) -> PaymentProvider:
    try:
        path = settings.PAYMENT_PROVIDERS[name]
    except KeyError:
        raise UnknownProviderError(name) from None
    return cast(PaymentProvider, import_string(path)())
