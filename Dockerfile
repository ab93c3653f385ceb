# Production image: gunicorn serves the app, whitenoise the static files (collected at build).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/app/var
WORKDIR /app

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

COPY . .
RUN pip install -c requirements/constraints.txt . \
    && python manage.py compiletranslations \
    && SECRET_KEY=build-only PARTICIPANT_HMAC_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 app && mkdir -p /app/var && chown -R app /app/var

USER app
EXPOSE 8000
# Worker class, threads, timeouts: config/gunicorn.py (docs/DEPLOYMENT.md).
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
