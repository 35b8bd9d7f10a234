# The production image: gunicorn serving kb.wsgi, static files through WhiteNoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The runtime lock only: no test, lint or browser tools in the image (those are in requirements-dev.lock).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --home-dir /app kb && chown -R kb /app
USER kb

EXPOSE 8000
ENTRYPOINT ["./docker-entrypoint.sh"]
# Workers, threads and the port come from gunicorn.conf.py (GUNICORN_WORKERS, GUNICORN_THREADS, PORT).
CMD ["gunicorn", "kb.wsgi:application"]
