from decimal import Decimal

import pytest

from payments.models import FakeCharge, FakeChargeOutcome
from payments.providers import UnknownProviderError, provider_get, provider_names
from payments.providers.base import ChargeStatus, PaymentProvider, ProviderError
from payments.providers.fake import FakeProvider, succeeded_charge_count
from payments.services import provider_idempotency_key
from tests.support import run_concurrently

AMOUNT = Decimal("49.00")


def charge(card: str = "tok_ok", key: str = "key-1", amount: Decimal = AMOUNT):
    return FakeProvider().charge(amount=amount, currency="USD", token=card, idempotency_key=key)


def test_registry_resolves_configured_providers(settings):
    assert provider_names() == ["fake"]
    provider = provider_get("fake")
    assert isinstance(provider, FakeProvider)
    assert isinstance(provider, PaymentProvider)
    with pytest.raises(UnknownProviderError):
        provider_get("stripe")
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "backup": "payments.providers.fake.FakeProvider"}
    assert provider_names() == ["backup", "fake"]


@pytest.mark.django_db
def test_test_cards_behave_like_stripes():
    ok = charge("tok_ok", "a")
    declined = charge("tok_declined", "b")
    assert ok.status == ChargeStatus.SUCCEEDED
    assert ok.succeeded
    assert declined.status == ChargeStatus.DECLINED
    assert declined.failure_code == "card_declined"
    assert declined.transaction_id != ok.transaction_id
    with pytest.raises(ProviderError):
        charge("tok_error", "c")
    assert FakeCharge.objects.filter(idempotency_key="c").count() == 0
    assert succeeded_charge_count() == 1


@pytest.mark.django_db
def test_slow_card_succeeds(settings):
    settings.PAYMENT_FAKE_SLOW_SECONDS = 0
    assert charge("tok_slow").succeeded


@pytest.mark.django_db
def test_same_key_returns_the_same_charge():
    first = charge(key="k")
    second = charge(key="k")
    assert first == second
    assert FakeCharge.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_other_parameters_is_an_error():
    charge(key="k")
    with pytest.raises(ProviderError):
        charge(key="k", amount=Decimal("1.00"))


@pytest.mark.django_db(transaction=True)
def test_same_key_from_many_threads_charges_once():
    results = run_concurrently(8, lambda _: charge(key="shared"), reraise=True)
    assert len(results) == 8
    assert len({r.transaction_id for r in results}) == 1
    assert succeeded_charge_count() == 1


@pytest.mark.django_db
def test_refund_is_idempotent_and_bounded():
    provider = FakeProvider()
    result = charge()
    first = provider.refund(transaction_id=result.transaction_id, amount=AMOUNT)
    again = provider.refund(transaction_id=result.transaction_id, amount=AMOUNT)
    assert first == again
    stored = FakeCharge.objects.get()
    assert stored.refunded_amount == AMOUNT
    with pytest.raises(ProviderError):
        provider.refund(transaction_id="fake_ch_missing", amount=AMOUNT)
    declined = charge("tok_declined", "d")
    with pytest.raises(ProviderError):
        provider.refund(transaction_id=declined.transaction_id, amount=AMOUNT)
    other = charge(key="e")
    with pytest.raises(ProviderError):
        provider.refund(transaction_id=other.transaction_id, amount=AMOUNT + 1)
    assert FakeCharge.objects.get(transaction_id=other.transaction_id).outcome == FakeChargeOutcome.SUCCEEDED


def test_provider_key_is_scoped_to_the_order_and_bounded():
    import uuid

    a, b = uuid.uuid4(), uuid.uuid4()
    assert provider_idempotency_key(order_id=a, idempotency_key="k") != provider_idempotency_key(
        order_id=b, idempotency_key="k"
    )
    assert provider_idempotency_key(order_id=a, idempotency_key="k") == provider_idempotency_key(
        order_id=a, idempotency_key="k"
    )
    assert len(provider_idempotency_key(order_id=a, idempotency_key="x" * 255)) <= 255
