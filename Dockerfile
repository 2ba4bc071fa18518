# syntax=docker/dockerfile:1
# One image for every HealthHub service; each compose service runs it with its own command.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
# A regular (non-editable) install without the dev extras.
RUN pip install .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HEALTHHUB_VAR_DIR=/data \
    HEALTHHUB_LOG_JSON=true \
    HEALTHHUB_HEALTHCHECK_URL=http://127.0.0.1:8000/healthz
RUN groupadd --system --gid 10001 healthhub \
 && useradd --system --uid 10001 --gid healthhub --home-dir /data --shell /usr/sbin/nologin healthhub \
 && mkdir -p /data/pages /data/media \
 && chown -R healthhub:healthhub /data
COPY --from=build /opt/venv /opt/venv
USER healthhub
WORKDIR /data
EXPOSE 8000
# APIs answer /healthz; workers override this check in the compose file.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHHUB_HEALTHCHECK_URL'], timeout=3)"]
CMD ["healthhub", "--help"]
