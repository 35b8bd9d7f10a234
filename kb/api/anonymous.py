"""Whether the request being answered is an anonymous public read: a GET or HEAD of a public address with no token and
no session or CSRF cookie. curation/api/fastpath.py sets it while it answers one; the worker's copy of the public
revision (curation/revisions.py) and the throttle's batches (kb/api/throttling.py) are trusted only for such reads."""

import contextvars

anonymous_read: contextvars.ContextVar[bool] = contextvars.ContextVar("anonymous_read", default=False)
