# The Keskinube app image: the same install steps as `make run`.
# The build context is an allow-list (.dockerignore): no .env, data/ or .venv gets in, and
# none of the tooling (evaluation/, demo_data/, testkit/, tests/, bench/): the app never runs it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt ./
RUN pip install --quiet -r requirements.txt

COPY . .
# The code stays root-owned (the app cannot change it); only data/ is the app's to write.
RUN pip install --quiet --no-deps -e . \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin keskinube \
    && mkdir -p /app/data && chown keskinube:keskinube /app/data
USER 10001:10001

EXPOSE 8501
ENTRYPOINT ["bash", "docker/app-entrypoint.sh"]
