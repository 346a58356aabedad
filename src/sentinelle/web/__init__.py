"""The dashboard and JSON API behind ``sentinelle serve`` (FastAPI, Jinja2, Leaflet).

- :mod:`~sentinelle.web.app`: :func:`create_app`, security headers, error pages.
- :mod:`~sentinelle.web.api`: JSON routes under ``/api`` (OpenAPI at ``/openapi.json``),
  one module per topic, with the shared ``params``, ``schemas`` and ``responses``.
- :mod:`~sentinelle.web.pages`: HTML pages (map with time slider, trends, actors,
  forecasts, impact, alerts, analyst reports, users, sign-in).
- :mod:`~sentinelle.web.auth`: users, Argon2id hashes, sessions, roles, CSRF, rate limits.
- :mod:`~sentinelle.web.incidents`: analyst incident reports and their review.
- :mod:`~sentinelle.web.data`: the store reads both share.
- :mod:`~sentinelle.web.state`: per-app state, connections and the response cache.
- :mod:`~sentinelle.web.access`: short read-only connections to the main store.
- :mod:`~sentinelle.web.webstore`: the server's own store (users, sessions, reports),
  which ``sentinelle users add/list`` use through :func:`open_web_store`,
  :func:`create_user` and :func:`list_users`, whether or not the server runs.

Leaflet is installed from the npm registry by ``scripts/build_web.sh`` into
``static/vendor/``; no page refers to a CDN.
"""

from sentinelle.web.app import create_app
from sentinelle.web.auth import create_user, list_users
from sentinelle.web.webstore import open_web_store

__all__ = ["create_app", "create_user", "list_users", "open_web_store"]
