# One image for the platform, as `make run` has it but in containers (docker-compose.yml, and
# containers/compose.yml for the host network):
#   target "service" (the default): `python -m services.${SERVICE}`, e.g. SERVICE=cart;
#   target "localstripe": the fake Stripe API used by the payment service, on 0.0.0.0:8420;
#   target "gateway": nginx with the config gateway/config.py renders for the host network.
# FROM debian:bookworm-slim (Python 3.11 from Debian), so it builds from the official image or from
# the one `containers/engine.sh base-image` imports where no registry can be reached.
FROM debian:bookworm-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PATH=/opt/venv/bin:$PATH
# Extra CAs for apt and pip behind a TLS-inspecting proxy (empty in the repository; its README).
COPY containers/ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv
WORKDIR /app
# The packages pyproject.toml names; tests, the SDK scripts and local state stay out (.dockerignore).
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY services/ services/
COPY devstack/ devstack/
COPY gateway/ gateway/
COPY checkout_admin/ checkout_admin/
COPY demo/ demo/
COPY bench/ bench/
COPY checkout_platform/ checkout_platform/
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app

FROM base AS localstripe
RUN pip install localstripe==1.15.10
USER app
EXPOSE 8420
CMD ["python", "-m", "devstack.localstripe_server", "--host", "0.0.0.0", "--port", "8420"]

FROM base AS gateway
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*
COPY containers/gateway_host_conf.py containers/gateway_host_conf.py
USER app
CMD ["sh", "-c", "mkdir -p /tmp/nginx && python containers/gateway_host_conf.py > /tmp/nginx/nginx.conf && exec nginx -e stderr -c /tmp/nginx/nginx.conf -g 'daemon off;'"]

FROM base AS service
# HTTP_HOST: listen on the container's interface, not its loopback; every service on port 8000.
ENV SERVICE=cart \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000
USER app
EXPOSE 8000
CMD ["sh", "-c", "exec python -m \"services.${SERVICE}\""]
