# One image for the platform, as `make run` has it but in containers (see docker-compose.yml):
#   target "service" (the default): `python -m services.${SERVICE}`, e.g. SERVICE=cart;
#   target "localstripe": the fake Stripe API used by the payment service, on 0.0.0.0:8420.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
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
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app

FROM base AS localstripe
RUN pip install localstripe==1.15.10
USER app
EXPOSE 8420
CMD ["python", "-m", "devstack.localstripe_server", "--host", "0.0.0.0", "--port", "8420"]

FROM base AS service
# HTTP_HOST: listen on the container's interface, not its loopback; every service on port 8000.
ENV SERVICE=cart \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000
USER app
EXPOSE 8000
CMD ["sh", "-c", "exec python -m \"services.${SERVICE}\""]
