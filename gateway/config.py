"""``nginx.conf`` for the gateway, rendered from one routing table for ``make run`` and for compose.

Why generated rather than hand-written: the same routes must hold on loopback ports chosen at start
(``make run``, tests) and on compose's service hostnames, and a route to a service that does not run
(left out of the stack by ``DEVSTACK_SERVICES``, or by a test) must answer an Elastic Path 503 instead
of failing nginx at start-up.

Invariants the template keeps:

- ``proxy_pass http://<upstream>;`` carries no URI part, so nginx forwards the request line exactly as
  the client sent it: the SDK's raw ``filter=eq(status,complete):eq(payment,paid)&page[limit]=10``
  reaches the service unchanged (no decoding, no re-encoding, no slash merging of the query).
- Every answer nginx makes itself (unknown path, service absent or dead, body, URI or headers too
  large, a request it cannot parse) is an Elastic Path error document:
  ``{"errors":[{"status":404,"title":"Not Found","detail":"..."}]}``. The error pages are internal
  *URI* locations, not named ones: nginx cannot redirect a request whose request line or headers it
  failed to read (bad ``%00``, URI or header too large) to a named location, and would fall back to
  its own HTML 500.
- Request sizes are bounded before anything reaches a service: the request line and each header
  line to ``HEADER_BUFFER`` (longer: 414 or 431), all headers together to ``HEADER_BUFFERS`` of them
  (431), and bodies per route (413): the token endpoint and the order and payment commands carry a
  few hundred bytes, so they get far less than the catalogue and cart routes' 1 MB.
- Upstream connections are kept alive, but for less time than uvicorn's 5 s keep-alive, so nginx never
  reuses a connection the service is closing (a POST lost in that race would be a spurious 502).
- The routes that check or set a password (customer sign-in and registration, about 40 ms of scrypt
  each) are limited per client address (``limit_req``, :data:`PASSWORD_ROUTES_LIMIT`), answered 429
  with ``Retry-After``. The limit per email is the cart service's: only it reads the email as sign-in
  does (JSON-decoded, trimmed, lower-cased), where a regex here would count each spelling apart.
  Behind a load balancer, set nginx's ``real_ip`` from it, or every client is the balancer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

COMPOSE_CONF = Path(__file__).with_name("nginx.compose.conf")
"""The config compose mounts; committed, and checked against :func:`compose_config` by the tests."""

COMPOSE_SERVICE_PORT = 8000
"""Every service listens on this port inside its container."""

MAX_BODY = "1m"
"""The default body limit, the services' own (`shared.http.body.MAX_BODY_BYTES`, 1 MiB)."""
SMALL_BODY = "16k"
"""Routes whose bodies are a form or a few ids and flags: the token endpoint, orders, payments."""
BODY_TEXT = {MAX_BODY: "1 MB", SMALL_BODY: "16 KB"}
HEADER_BUFFER = "8k"
"""The longest request line (URI) and the longest single header line nginx accepts."""
HEADER_BUFFERS = 4
"""How many HEADER_BUFFERs the request line and all the headers together may fill."""
HEADER_TEXT = ("8 KB", "32 KB")
"""HEADER_BUFFER and HEADER_BUFFERS x HEADER_BUFFER, as the error details say them."""
ERROR_PREFIX = "/_gateway/errors/"


@dataclass(frozen=True)
class RateLimit:
    """An nginx ``limit_req`` zone: ``rate`` requests per second from one key, after ``burst`` at once."""

    zone: str
    key: str
    rate: str
    burst: int

    @property
    def per_second(self) -> float:
        """``rate`` as a number: nginx writes it ``Nr/s`` or ``Nr/m``."""
        count, unit = self.rate.removesuffix("r/s"), 1.0
        if self.rate.endswith("r/m"):
            count, unit = self.rate.removesuffix("r/m"), 60.0
        return int(count) / unit


PASSWORD_ROUTES_LIMIT = RateLimit(zone="password_routes", key="$password_client", rate="5r/s", burst=20)
"""Per client address, on the POSTs that hash a password: a person signs in or registers a few times,
a guesser thousands; 5 a second keeps one client to a fraction of a core's worth of scrypt."""


@dataclass(frozen=True)
class Route:
    """One nginx ``location`` (modifier and pattern) and the service that owns what it matches."""

    match: str
    service: str
    max_body: str = MAX_BODY
    limit: RateLimit | None = None


# Order matters: nginx tries exact (=) locations first, then regex locations in this order.
ROUTES: tuple[Route, ...] = (
    # every service can issue tokens; one owner suffices
    Route("= /oauth/access_token", "cart", SMALL_BODY),
    Route("= /v2/customers/tokens", "cart", SMALL_BODY, PASSWORD_ROUTES_LIMIT),
    Route("= /v2/customers", "cart", SMALL_BODY, PASSWORD_ROUTES_LIMIT),
    Route("~ ^/v2/(carts|products|promotions|customers)(/|$)", "cart"),
    Route("= /v2/orders", "order", SMALL_BODY),
    Route("~ ^/v2/orders/[^/]+/payments$", "payment", SMALL_BODY),
    Route("~ ^/v2/orders/[^/]+/transactions(/|$)", "payment", SMALL_BODY),
    Route("~ ^/v2/orders/[^/]+(/items)?$", "order", SMALL_BODY),
    Route("= /v2/webhooks/stripe", "payment"),  # Stripe's events carry whole objects
    Route("~ ^/v2/gateways(/|$)", "payment"),
    Route("~ ^/v2/inventories(/|$)", "inventory"),
)

ROUTED_SERVICES: tuple[str, ...] = tuple(dict.fromkeys(route.service for route in ROUTES))
"""Services that own public paths (fulfilment has none: it only consumes and publishes events)."""


@dataclass(frozen=True)
class ErrorPage:
    """An error nginx produces itself, answered as an Elastic Path error document."""

    status: int
    title: str
    detail: str
    retry_after: int | None = None
    """Seconds, for a ``Retry-After`` header (a 429)."""


def too_large(max_body: str) -> ErrorPage:
    """The 413 of a route whose bodies are limited to ``max_body``."""
    return ErrorPage(
        413, "Payload Too Large", f"Request bodies to this endpoint are limited to {BODY_TEXT[max_body]}"
    )


TOO_LARGE = too_large(MAX_BODY)
NOT_FOUND = ErrorPage(404, "Not Found", "No endpoint of this API matches the requested path")
HEADERS_TOO_LARGE = ErrorPage(
    431,
    "Request Header Fields Too Large",
    f"Each header line is limited to {HEADER_TEXT[0]}, all headers together to {HEADER_TEXT[1]}",
)
NGINX_ERRORS: dict[int, ErrorPage] = {
    400: ErrorPage(400, "Bad Request", "The gateway could not parse the request"),
    404: NOT_FOUND,  # an internal error page asked for directly
    413: TOO_LARGE,
    414: ErrorPage(414, "URI Too Long", f"The request line is limited to {HEADER_TEXT[0]}"),
    429: ErrorPage(429, "Too Many Requests", "Too many requests from this client; retry shortly", 1),
    494: HEADERS_TOO_LARGE,  # nginx's code for a header (or all headers) too large; answered as 431
    500: ErrorPage(500, "Internal Server Error", "The gateway failed to handle the request"),
    502: ErrorPage(502, "Bad Gateway", "The service that owns this path did not answer"),
    503: ErrorPage(503, "Service Unavailable", "The service that owns this path is unavailable"),
    504: ErrorPage(504, "Gateway Timeout", "The service that owns this path did not answer in time"),
}
"""nginx's own error code -> the Elastic Path error it answers with."""


def ep_error(page: ErrorPage) -> str:
    """The compact JSON body Elastic Path sends for an error (status as a number, as the SDK reads it)."""
    return json.dumps(
        {"errors": [{"status": page.status, "title": page.title, "detail": page.detail}]},
        separators=(",", ":"),
    )


def unavailable(service: str) -> ErrorPage:
    """The 503 for a route whose service is not running in this stack."""
    return ErrorPage(503, "Service Unavailable", f"The {service} service is not running")


@dataclass(frozen=True)
class GatewayConfig:
    """Everything that differs between a gateway on loopback (``make run``) and one in compose."""

    listen: str
    """nginx ``listen`` value: ``127.0.0.1:8080`` locally, ``8080`` in a container."""
    upstreams: Mapping[str, str]
    """Service -> ``host:port`` for every *running* service; routes to others answer 503."""
    pid_path: str
    temp_dir: str
    error_log: str
    access_log: str
    host_fallback: str
    """The ``Host`` sent upstream when a (HTTP/1.0) client sent none; uvicorn requires one."""
    user: str | None = None
    """Worker user; only meaningful when nginx starts as root."""
    worker_processes: int = 1


def render(config: GatewayConfig) -> str:
    """The complete ``nginx.conf`` text for ``config`` (run with ``-g 'daemon off;'``)."""
    unknown = set(config.upstreams) - set(ROUTED_SERVICES)
    if unknown:
        raise ValueError(f"no route leads to {sorted(unknown)}; routed services: {ROUTED_SERVICES}")
    lines: list[str] = [
        "# Generated by gateway/config.py (python -m gateway); edit the template, not this file.",
    ]
    if config.user:
        lines.append(f"user {config.user};")
    lines += [
        f"worker_processes {config.worker_processes};",
        "worker_shutdown_timeout 10s;  # a graceful stop (SIGQUIT) waits this long for requests in flight",
        f"pid {config.pid_path};",
        f"error_log {config.error_log} warn;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        *_indent(_http_settings(config), 1),
        "",
    ]
    for service in ROUTED_SERVICES:
        address = config.upstreams.get(service)
        if address is not None:
            lines += [*_indent(_upstream(service, address), 1), ""]
    lines += _indent(_server(config), 1)
    lines.append("}")
    return "\n".join(lines) + "\n"


def local_config(
    work_dir: Path,
    *,
    host: str,
    port: int,
    upstreams: Mapping[str, str],
    user: str | None = None,
) -> GatewayConfig:
    """A gateway on ``host:port`` with its pid, temp files and logs under ``work_dir``."""
    return GatewayConfig(
        listen=f"{host}:{port}",
        upstreams=dict(upstreams),
        pid_path=str(work_dir / "nginx.pid"),
        temp_dir=str(work_dir / "tmp"),
        error_log=str(work_dir / "error.log"),
        access_log=str(work_dir / "access.log"),
        host_fallback=f"{host}:{port}",
        user=user,
        worker_processes=1,
    )


def compose_config(port: int = 8080) -> GatewayConfig:
    """The gateway in docker compose: services by hostname, logs to the container's output."""
    return GatewayConfig(
        listen=str(port),
        upstreams={service: f"{service}:{COMPOSE_SERVICE_PORT}" for service in ROUTED_SERVICES},
        pid_path="/tmp/nginx.pid",
        temp_dir="/tmp/nginx",
        error_log="/dev/stderr",
        access_log="/dev/stdout",
        host_fallback=f"localhost:{port}",
        user="nginx",  # the official image's unprivileged user
        worker_processes=2,
    )


def upstream_name(service: str) -> str:
    """The nginx ``upstream`` block of ``service`` (suffixed so it never reads as a hostname)."""
    return f"{service}_service"


# -- pieces of the template -----------------------------------------------------------------------


def _http_settings(config: GatewayConfig) -> list[str]:
    temp = config.temp_dir
    return [
        "# Only JSON leaves this gateway: no MIME table, so nginx's own answers are always JSON.",
        "types {}",
        "default_type application/json;",
        "server_tokens off;",
        "",
        f"client_body_temp_path {temp}/client_body;",
        f"proxy_temp_path {temp}/proxy;",
        f"fastcgi_temp_path {temp}/fastcgi;",
        f"uwsgi_temp_path {temp}/uwsgi;",
        f"scgi_temp_path {temp}/scgi;",
        "",
        "# The caller's correlation id, or nginx's request id: one id in the access log and the service's.",
        "map $http_x_correlation_id $correlation_id {",
        '    ""      $request_id;',
        "    default $http_x_correlation_id;",
        "}",
        "map $http_host $proxied_host {",
        f'    ""      "{config.host_fallback}";',
        "    default $http_host;",
        "}",
        "",
        "log_format gateway '$remote_addr [$time_iso8601] \"$request\" $status $body_bytes_sent '",
        "                   '$request_time upstream=$upstream_addr status=$upstream_status '",
        "                   'time=$upstream_response_time correlation=$correlation_id';",
        f"access_log {config.access_log} gateway;",
        "",
        f"client_max_body_size {MAX_BODY};  # smaller on the routes that carry small bodies",
        f"large_client_header_buffers {HEADER_BUFFERS} {HEADER_BUFFER};  # request line and each header",
        "keepalive_timeout 65s;",
        "",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";  # keep upstream connections alive',
        "proxy_set_header Host $proxied_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $proxied_host;",
        "proxy_set_header X-Correlation-ID $correlation_id;",
        "proxy_connect_timeout 5s;",
        "proxy_send_timeout 30s;",
        "proxy_read_timeout 60s;",
        "",
        "# Rate limits (limit_req) answer 429; only the POSTs that hash a password have a key to count.",
        "map $request_method $password_client {",
        "    POST    $binary_remote_addr;",
        '    default "";',
        "}",
        *(
            f"limit_req_zone {limit.key} zone={limit.zone}:1m rate={limit.rate};"
            for limit in dict.fromkeys(route.limit for route in ROUTES if route.limit)
        ),
        "limit_req_status 429;",
        "limit_req_log_level warn;",
    ]


def _upstream(service: str, address: str) -> list[str]:
    return [
        f"upstream {upstream_name(service)} {{",
        # max_fails=0: a restarted service is used again at once, not after nginx's 10 s penalty.
        f"    server {address} max_fails=0;",
        "    keepalive 16;",
        "    keepalive_timeout 4s;  # below uvicorn's 5 s keep-alive",
        "}",
    ]


def _error_pages(max_body: str) -> dict[int, tuple[str, ErrorPage]]:
    """nginx code -> (internal URI, page) for a location whose bodies are limited to ``max_body``."""
    pages = {code: (f"{ERROR_PREFIX}{page.status}", page) for code, page in NGINX_ERRORS.items()}
    if max_body != MAX_BODY:
        pages[413] = (f"{ERROR_PREFIX}413-{max_body}", too_large(max_body))
    return pages


def _error_page_directives(max_body: str) -> list[str]:
    # `=status`: nginx would otherwise answer its 494 as a 400 whatever the page returns
    return [
        f"error_page {code} ={page.status} {uri};" for code, (uri, page) in _error_pages(max_body).items()
    ]


def _server(config: GatewayConfig) -> list[str]:
    lines = [
        "server {",
        f"    listen {config.listen};",
        "    server_name _;",
        "",
        *_indent(_error_page_directives(MAX_BODY), 1),
        "",
    ]
    for route in ROUTES:
        address = config.upstreams.get(route.service)
        if address is not None:
            body = [f"proxy_pass http://{upstream_name(route.service)};"]
        else:
            body = _answer(unavailable(route.service))
        if route.limit is not None:
            body = [f"limit_req zone={route.limit.zone} burst={route.limit.burst} nodelay;", *body]
        if route.max_body != MAX_BODY:
            # error_page directives are inherited only by a location that has none of its own
            body = [f"client_max_body_size {route.max_body};", *_error_page_directives(route.max_body), *body]
        lines += _indent(_block(f"location {route.match}", body), 1)
    lines += _indent(_block("location /", _answer(NOT_FOUND)), 1)
    lines.append("")
    pages = {
        uri: page
        for limit in {route.max_body for route in ROUTES} | {MAX_BODY}
        for uri, page in _error_pages(limit).values()
    }
    for uri, page in sorted(pages.items()):
        lines += _indent(_block(f"location = {uri}", ["internal;", *_answer(page)]), 1)
    lines.append("}")
    return lines


def _answer(page: ErrorPage) -> list[str]:
    retry = [] if page.retry_after is None else [f"add_header Retry-After {page.retry_after} always;"]
    return [
        "add_header X-Correlation-ID $correlation_id always;",
        *retry,
        f"return {page.status} {_quoted(ep_error(page))};",
    ]


def _quoted(text: str) -> str:
    """An nginx single-quoted string; our texts never need escapes, and must not grow variables."""
    if any(char in text for char in "'\\$"):
        raise ValueError(f"text unsafe for an nginx string: {text!r}")
    return f"'{text}'"


def _block(head: str, body: Sequence[str]) -> list[str]:
    return [f"{head} {{", *_indent(body, 1), "}"]


def _indent(lines: Sequence[str], level: int) -> list[str]:
    pad = "    " * level
    return [f"{pad}{line}" if line else "" for line in lines]
