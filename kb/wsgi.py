"""WSGI entry point, used by gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
django_application = get_wsgi_application()

from curation.api.fastpath import AnswerMemo  # noqa: E402 (after Django is set up)

# Anonymous public answers this worker gave before are given again before Django runs (curation/api/fastpath.py).
application = AnswerMemo(django_application)
