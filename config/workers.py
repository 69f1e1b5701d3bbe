"""The gunicorn worker class: uvicorn's, without the ``Server: uvicorn`` header naming the software."""

from uvicorn.workers import UvicornWorker as BaseUvicornWorker


class UvicornWorker(BaseUvicornWorker):
    CONFIG_KWARGS = {**BaseUvicornWorker.CONFIG_KWARGS, "server_header": False}
