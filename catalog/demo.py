"""Pictures for the demo catalog: a product's colour, its kind and its material, drawn with Pillow.

They go through the same path as an upload (``product_image_set``, then the thumbnails task), in the worker, so
seeding the demo catalog never waits for them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from uuid import UUID

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from catalog.models import Product
from catalog.services import product_image_set

COLOR_RGB = {
    "black": (34, 34, 34), "white": (236, 236, 230), "red": (196, 48, 43), "blue": (40, 90, 170),
    "green": (46, 125, 70), "grey": (128, 128, 128), "navy": (28, 40, 80), "beige": (214, 196, 160),
    "brown": (120, 80, 50), "pink": (230, 140, 170), "yellow": (235, 196, 60), "olive": (110, 115, 60),
}  # fmt: skip
SIZE = 800
BATCH = 50


def demo_picture(*, title: str, color: str, caption: str) -> bytes:
    """A square JPEG in ``color`` with ``title`` and ``caption`` written on it."""
    rgb = COLOR_RGB.get(color, COLOR_RGB["grey"])
    ink = (30, 30, 30) if sum(rgb) > 450 else (250, 250, 250)
    image = Image.new("RGB", (SIZE, SIZE), rgb)
    draw = ImageDraw.Draw(image)
    margin = SIZE // 10
    draw.rounded_rectangle((margin, margin, SIZE - margin, SIZE - margin), radius=margin // 2, outline=ink, width=6)
    centre = SIZE // 2
    title_font = ImageFont.load_default(size=SIZE // 9)
    caption_font = ImageFont.load_default(size=SIZE // 18)
    draw.text((centre, centre - SIZE // 20), title, fill=ink, font=title_font, anchor="mm")
    draw.text((centre, centre + SIZE // 10), caption, fill=ink, font=caption_font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def demo_images_generate(*, product_ids: Iterable[UUID | str]) -> int:
    """Give each product that has no image yet its demo picture; returns how many were set."""
    done = 0
    for product in Product.objects.filter(pk__in=list(product_ids), image="").only("id", "name", "attributes"):
        attributes = product.attributes if isinstance(product.attributes, dict) else {}
        color = str(attributes.get("color", "grey"))
        picture = demo_picture(
            title=product.name.split()[-1], color=color, caption=f"{color} {attributes.get('material', '')}".strip()
        )
        product_image_set(
            product_id=product.pk, image=SimpleUploadedFile("demo.jpg", picture, content_type="image/jpeg")
        )
        done += 1
    return done


def demo_images_schedule(*, product_ids: list[UUID]) -> int:
    """Queue the pictures for the worker in batches of ``BATCH`` products; returns the number of tasks."""
    from catalog.tasks import demo_images_generate_task

    batches = [product_ids[start : start + BATCH] for start in range(0, len(product_ids), BATCH)]
    for batch in batches:
        demo_images_generate_task.delay(product_ids=[str(product_id) for product_id in batch])
    return len(batches)
