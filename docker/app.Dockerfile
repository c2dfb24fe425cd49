# The Keskinube app image: the same install steps as `make run`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt ./
RUN pip install --quiet -r requirements.txt

COPY . .
RUN pip install --quiet --no-deps -e . && useradd --create-home keskinube \
    && mkdir -p /app/data && chown keskinube /app/data
USER keskinube

EXPOSE 8501
ENTRYPOINT ["bash", "docker/app-entrypoint.sh"]
