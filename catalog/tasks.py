from celery import shared_task

from catalog import services


@shared_task(name="catalog.product_thumbnails_generate", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def product_thumbnails_generate(*, product_id: str, image_name: str) -> None:
    services.product_thumbnails_make(product_id=product_id, image_name=image_name)


@shared_task(name="catalog.demo_images_generate", ignore_result=True)
def demo_images_generate_task(*, product_ids: list[str]) -> int:
    from catalog.demo import demo_images_generate

    return demo_images_generate(product_ids=product_ids)
