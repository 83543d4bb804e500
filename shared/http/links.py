"""Where links in documents point: the public entry point, never what a client put in `Host`.

Behind the gateway, `Host` is whatever the client sent; copied into links it lets anyone make the
service hand out URLs to another site. PUBLIC_BASE_URL (the devstack and compose set it) names the
entry point; without it the request's own base is the only thing known.
"""

from __future__ import annotations

from fastapi import Request


def base_url(request: Request) -> str:
    """The public base URL, without a trailing slash."""
    settings = getattr(request.app.state, "settings", None)
    configured = getattr(settings, "public_base_url", "")
    return str(configured or str(request.base_url)).rstrip("/")
