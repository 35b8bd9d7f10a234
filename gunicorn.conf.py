"""gunicorn's settings wherever it is started from the checkout (the image, the tests, the benchmark).

gunicorn answers a request line longer than its limit itself, with an HTML page (its default limit is 4094 bytes,
the most it accepts as a limit 8190). 0 lifts the limit, and gunicorn 27 still reads no more than 1 MiB of a request
line: every request line the API could refuse reaches Django, which answers a query string over 4096 bytes with a
JSON 400 (kb/api/guards.py)."""

limit_request_line = 0
