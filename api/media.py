"""Uploaded files (product images and their thumbnails) answered by the application, where no bucket or proxy does.

Only image types are answered, so a stored file can never be served as HTML or script from our own origin; paths
are joined under the storage's folder (``..`` and absolute paths are a 404), and answers carry cache headers.
"""

from __future__ import annotations

import mimetypes
import stat
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"})


@require_safe
def media_file(request: HttpRequest, path: str) -> HttpResponseBase:
    content_type, encoding = mimetypes.guess_type(path)
    if content_type not in IMAGE_TYPES or encoding is not None or not isinstance(default_storage, FileSystemStorage):
        raise Http404
    try:
        full_path = Path(default_storage.path(path))
        status = full_path.stat()
    except (SuspiciousFileOperation, OSError, ValueError) as exc:
        raise Http404 from exc
    if not stat.S_ISREG(status.st_mode):
        raise Http404
    if not was_modified_since(request.headers.get("If-Modified-Since"), int(status.st_mtime)):
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        # Images are at most a few MB (PRODUCT_IMAGE_MAX_BYTES): read whole, no sync iterator under ASGI.
        response = HttpResponse(full_path.read_bytes(), content_type=content_type)
    response["Last-Modified"] = http_date(status.st_mtime)
    response["Cache-Control"] = f"public, max-age={settings.MEDIA_MAX_AGE}"
    return response
