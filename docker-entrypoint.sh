#!/bin/sh
# Brings the database up to date and loads the content before the server starts; every step is idempotent.
set -e
python manage.py migrate --no-input
python manage.py import_regions
python manage.py load_content --missing-only
exec "$@"
