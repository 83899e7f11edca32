# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=backend.settings \
    TOUCHPOINT_VAR_DIR=/var/lib/touchpoint

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY audits ./audits
COPY scoring ./scoring
COPY manage.py ./
RUN pip install ".[s3]" \
    && useradd --system --home-dir /var/lib/touchpoint touchpoint \
    && mkdir -p /var/lib/touchpoint/media /var/lib/touchpoint/static \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && chown -R touchpoint /var/lib/touchpoint

USER touchpoint
EXPOSE 8000
CMD ["gunicorn", "backend.wsgi:application", "--bind", "0.0.0.0:8000"]
