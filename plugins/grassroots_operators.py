"""The operators' page (基层走访) in the Airflow UI: the page's FastAPI app mounted at /grassroots
and a link to it in the UI's navigation. The page itself lives in grassroots.operators_page."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from grassroots.operators_page import LazyApp

URL_PREFIX = "/grassroots"


class GrassrootsOperatorsPlugin(AirflowPlugin):
    name = "grassroots_operators"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "基层走访运行监控"}]
    external_views = [{"name": "基层走访", "href": f"{URL_PREFIX}/", "destination": "nav", "url_route": "grassroots"}]
