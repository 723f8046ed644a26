# DunOps as a container: slim, runs as an unprivileged user, migrates only when DUNOPS_MIGRATE=true.
# The same image runs a web replica (`dunops serve`, the default) or a job worker (`dunops worker`).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DUNOPS_HOST=0.0.0.0 \
    DUNOPS_PORT=8000 \
    DUNOPS_DATA_DIR=/var/lib/dunops \
    DUNOPS_ENVIRONMENT=production
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/dunops --create-home dunops
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY deploy/entrypoint.sh /usr/local/bin/dunops-entrypoint
USER dunops
WORKDIR /var/lib/dunops
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')" || exit 1
ENTRYPOINT ["dunops-entrypoint"]
CMD ["dunops", "serve"]
