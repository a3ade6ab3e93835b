"""The operators' page (基层走访) shown in the Airflow UI; see app.py.

Every Airflow process imports plugins (the scheduler, each task), but only the API server serves
the page, so the plugin mounts `LazyApp`: the page's app, with the warehouse, metrics and Airflow
security code it needs, is built at its first request, not at import.
"""

from __future__ import annotations


class LazyApp:
    """An ASGI app that builds the page's FastAPI app when the first request arrives."""

    def __init__(self):
        self._app = None

    async def __call__(self, scope, receive, send):
        if self._app is None:  # no await before the assignment: one event loop builds it once
            from grassroots.operators_page.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)
