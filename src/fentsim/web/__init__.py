"""The web dashboard: an HTTP API (FastAPI) for comparison jobs and a page that drives it.

``fentsim serve`` runs :func:`create_app` under uvicorn; see :mod:`fentsim.web.app` for the
endpoints.

Example:
    >>> from fentsim.web import create_app
    >>> app = create_app("fentsim-store")  # doctest: +SKIP
"""

from .app import create_app

__all__ = ["create_app"]
