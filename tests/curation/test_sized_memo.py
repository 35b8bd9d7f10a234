"""SizedRevisionMemo (curation/revisions.py): bounded by bytes, the least recently asked for given up first, and
emptied when the revision moves on or every memo is cleared."""

from curation.revisions import RevisionMemo, SizedRevisionMemo


def test_the_least_recently_asked_for_goes_first_once_the_bytes_are_exceeded():
    memo = SizedRevisionMemo(max_bytes=100)
    memo.set("a", "A", "r1", size=40)
    memo.set("b", "B", "r1", size=40)
    assert memo.get("a", "r1") == "A"  # now b is the least recently asked for
    memo.set("c", "C", "r1", size=40)
    assert (memo.get("a", "r1"), memo.get("b", "r1"), memo.get("c", "r1")) == ("A", None, "C")
    memo.set("c", "C2", "r1", size=10)  # replacing an entry counts its new size only
    memo.set("d", "D", "r1", size=50)
    assert (memo.get("a", "r1"), memo.get("c", "r1"), memo.get("d", "r1")) == ("A", "C2", "D")


def test_another_revision_finds_nothing_and_empties_it():
    memo = SizedRevisionMemo(max_bytes=100)
    memo.set("a", "A", "r1", size=10)
    assert memo.get("a", "r2") is None
    memo.set("b", "B", "r2", size=10)
    assert (memo.get("a", "r2"), memo.get("b", "r2"), memo.bytes) == (None, "B", 10)
    RevisionMemo.clear_all()
    assert (memo.get("b", "r2"), memo.bytes) == (None, 0)
