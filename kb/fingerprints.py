"""Fingerprints of table contents, for values kept until what they were built from changes (the regions' index, the
lookup's fragments) rather than until the next publish.

A group of rows is summed up by its number of rows, the sum of their ids and the sum of their `updated_at`: a row
added, removed or saved changes it. A sum rather than the latest moment, so that a save made on a server whose clock
is a little behind still changes it."""

from django.db.models import BigIntegerField, Count, Func, QuerySet, Sum


class EpochMicroseconds(Func):
    """A moment as whole microseconds since 1970. Summed as integers: the same total whatever order the database adds
    in, where a sum of floats need not be."""

    output_field = BigIntegerField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) * 1000000 AS bigint)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # From the stored text ('2026-11-27 13:07:13.123456'): julianday would keep only milliseconds. Counted from
        # 2020, since SQLite's integer sum fails past 2^63 (some 5,000 rows counted from 1970, 40,000 from 2020).
        # '%%%%s' is strftime's '%s' once Django has formatted the template and the backend its placeholders.
        template = (
            "((CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) - 1577836800) * 1000000"
            " + CAST(substr(%(expressions)s, 21, 6) AS INTEGER))"
        )
        return self.as_sql(compiler, connection, template=template, **extra_context)


def summed(ids: str = "pk", updated_at: str = "updated_at") -> dict:
    """The aggregates that sum up a group of rows, for `annotate` or `aggregate`."""
    return {"rows": Count(ids), "ids": Sum(ids), "stamps": Sum(EpochMicroseconds(updated_at))}


def fingerprint_of(queryset: QuerySet) -> tuple:
    """All of `queryset`'s rows summed up; one query."""
    figures = queryset.order_by().aggregate(**summed())
    return (figures["rows"], figures["ids"], figures["stamps"])
