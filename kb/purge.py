"""Telling the caches in front (CACHE_PURGE_URLS: Varnish with deploy/varnish/default.vcl) that the public answers
changed, once the change has committed.

Each node gets a BAN, which drops every answer it stores (it stores only public answers). In threads of their own:
a node that is slow or down never delays nor fails the publish that asked; it is tried a few times with short
timeouts, then logged. Publishes are made by people, a few a minute at most, so a thread per ban is cheap.

A process whose cache is its own memory may still answer from the revision it read before the commit, for up to
CONTENT_REVISION_CACHE_SECONDS (curation/revisions.py), and a node may store such an answer after the first BAN:
so there the BAN is sent once more when every process has read the new revision. A shared cache (Redis) holds the
new revision from the commit on, but each worker trusts the copy it read for PUBLIC_REVISION_MEMO_SECONDS: the second
BAN follows that too. A read replica that has not replayed the change is passed over once the worker knows the new
revision (curation/replicas.py), so the second BAN is the last one needed with replicas too.
"""

import logging
import threading
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)

# Tries per node and ban, each waiting at most TIMEOUT seconds, with a pause doubling from BACKOFF between them:
# a node that is down is given up after some four seconds.
ATTEMPTS = 4
TIMEOUT = 0.5
BACKOFF = 0.25


def purge_public_answers() -> None:
    """Drops the public answers from every cache node; returns at once."""
    nodes = settings.CACHE_PURGE_URLS
    if not nodes:
        return
    # Not daemons: a command that publishes and exits (publish_scheduled) still tells the caches.
    lag = max(
        (settings.CONTENT_REVISION_CACHE_SECONDS or 0) if isinstance(caches["default"], LocMemCache) else 0,
        settings.PUBLIC_REVISION_MEMO_SECONDS,
    )
    for node in nodes:
        threading.Thread(target=ban, args=(node,), name=f"ban {node}").start()
        if lag:
            # A little after the last stale copy of the revision has expired.
            threading.Timer(lag + 0.1, ban, args=(node,)).start()


def ban(node: str) -> bool:
    """Sends one BAN to `node` (its base address), retrying; True once the node has taken it. Never raises."""
    request = urllib.request.Request(node.rstrip("/") + "/", method="BAN")
    pause = BACKOFF
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code < 500:
                # Refused (403: this address is not in the node's `purgers`): asking again changes nothing.
                logger.error("cache node %s refused the ban: %s", node, error.code)
                return False
            failure: Exception = error
        except (OSError, ValueError) as error:
            failure = error
        else:
            return True
        if attempt == ATTEMPTS:
            logger.error("cache node %s did not take the ban after %d tries: %s", node, ATTEMPTS, failure)
            return False
        logger.info("cache node %s did not take the ban (try %d): %s", node, attempt, failure)
        time.sleep(pause)
        pause *= 2
    return False
