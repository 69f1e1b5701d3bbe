"""Every HTML e-mail, as the services write it to the outbox, rendered in Chromium (one screenshot each).

Each case drives the real service that sends the e-mail, takes the HTML from the outbox row and loads it into the
browser at a phone-to-laptop width: the base layout must apply, the message's facts must be visible, nothing may be
left unrendered, links must be absolute and the page must not scroll sideways. A new template without a case here
fails ``test_every_html_template_has_a_case``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from accounts.services import password_reset_request, user_register, verification_email_send
from emails.models import OutboxMessage
from orders.models import OrderStatus
from orders.services import order_cancel, order_transition
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import paid_order
from tests.support import ROOT

pytestmark = pytest.mark.django_db
WIDTH = 600


@dataclass(frozen=True)
class Case:
    template: str
    title: str
    subject: str  # a regular expression the outbox row's subject matches
    send: Callable[[], list[str]]  # sends the e-mail, returns texts that must be visible in it


def _verify_email() -> list[str]:
    verification_email_send(user=UserFactory.create(first_name="Ada"))
    return ["Hello Ada", "Confirm my address"]


def _password_reset() -> list[str]:
    password_reset_request(email=UserFactory.create().email)
    return ["Choose a new password"]


def _registration_attempt() -> list[str]:
    existing = UserFactory.create(email="taken@example.com")
    user_register(email=existing.email, password="a-long-new-password-42")
    return ["taken@example.com", "reset it"]


def _low_stock() -> list[str]:
    UserFactory.create(manager=True)
    make_order(lines=[(ProductFactory.create(name="Cashmere scarf", stock=6), 2)])
    return ["Cashmere scarf", "4"]


def _order_received() -> list[str]:
    mug = ProductFactory.create(name="Blue mug", price=Decimal("12.50"), stock=50)
    hat = ProductFactory.create(name="Wool hat", price=Decimal("20.00"), stock=50)
    order = make_order(lines=[(mug, 2), (hat, 1)])
    return [str(order.pk), "Blue mug", "25.00", "Wool hat", "45.00 USD", "What happens next"]


def _payment_confirmation() -> list[str]:
    order = paid_order(price=Decimal("49.00"))
    return [str(order.pk), "49.00 USD", "when your order ships"]


def _order_shipped() -> list[str]:
    order = paid_order(status=OrderStatus.PROCESSING, name="Trail boots", price=Decimal("89.00"))
    order_transition(order_id=order.pk, to_status=OrderStatus.SHIPPED, actor=None)
    return [str(order.pk), "Trail boots", "89.00"]


def _order_cancelled() -> list[str]:
    order = paid_order(status=OrderStatus.PROCESSING, name="Linen shirt", price=Decimal("39.00"))
    order_cancel(order_id=order.pk, actor=UserFactory.create(manager=True))
    return [str(order.pk), "Linen shirt", "Refund: 39.00 USD"]


CASES = [
    Case("verify_email", "Confirm your e-mail address", r"Confirm your e-mail address", _verify_email),
    Case("password_reset", "Reset your password", r"Reset your password", _password_reset),
    Case(
        "registration_attempt",
        "Someone tried to register with your e-mail address",
        r"Someone tried to register",
        _registration_attempt,
    ),
    Case("low_stock", "Low stock", r"Low stock: Cashmere scarf", _low_stock),
    Case("order_received", "Order received", r"Order .+ received", _order_received),
    Case("payment_confirmation", "Payment received", r"Payment received for order", _payment_confirmation),
    Case("order_shipped", "Your order has shipped", r"Your order .+ has shipped", _order_shipped),
    Case("order_cancelled", "Order cancelled", r"Your order .+ has been cancelled", _order_cancelled),
]


def test_every_html_template_has_a_case() -> None:
    templates = {path.stem for path in (ROOT / "templates" / "email").glob("*.html")} - {"base"}
    assert templates == {case.template for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.template for case in CASES])
def test_html_email_renders_in_chromium(case: Case, page: Any, screenshot: Any) -> None:
    expected = case.send()
    [payload] = [
        message.payload
        for message in OutboxMessage.objects.order_by("created_at")
        if re.match(case.subject, message.payload["subject"])
    ]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.set_content(payload["html"], wait_until="load")

    assert page.title() == case.title
    assert "Helvetica" in page.eval_on_selector("body", "body => getComputedStyle(body).fontFamily")
    text = page.inner_text("body")
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not visible in the {case.template} e-mail"
    assert "{{" not in text
    assert "{%" not in text
    assert "You receive this e-mail" in text  # the base layout's footer
    hrefs = page.eval_on_selector_all("a", "links => links.map(link => link.getAttribute('href'))")
    assert all(href.startswith(("http://", "https://")) for href in hrefs), hrefs
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert errors == []
    screenshot(page, f"email-{case.template}")
