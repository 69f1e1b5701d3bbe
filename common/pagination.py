from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``?page=&page_size=``; page_size defaults to 20 and is capped at 100 (larger values are clamped)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
