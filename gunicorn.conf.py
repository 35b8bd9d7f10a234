"""gunicorn's settings wherever it is started from the checkout (the image, the tests, the benchmark).

gunicorn answers a request line longer than its limit itself, with an HTML page; at 8190 bytes (its maximum) every
request line the API could refuse reaches Django, which answers an over-long query string with a JSON 414
(kb/api/guards.py)."""

limit_request_line = 8190
