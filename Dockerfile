# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim

# One BLAS thread per process: the worker's prefork processes already fill the cores, and a
# benchmark snapshot of 5,000 branches took 10.4 s with BLAS threads competing, 4.2 s without
# (docs/benchmarking.md).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=backend.settings \
    TOUCHPOINT_VAR_DIR=/var/lib/touchpoint

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY audits ./audits
COPY scoring ./scoring
COPY demo ./demo
COPY manage.py ./
RUN pip install ".[s3]" \
    && useradd --system --home-dir /var/lib/touchpoint touchpoint \
    && mkdir -p /var/lib/touchpoint/media /var/lib/touchpoint/static \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && chown -R touchpoint /var/lib/touchpoint

USER touchpoint
EXPOSE 8000
CMD ["gunicorn", "backend.wsgi:application", "--bind", "0.0.0.0:8000"]
