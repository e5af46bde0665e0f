"""The hash chain on its own: any single alteration, removal or swap is found."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from signalfire.core.audit.chain import GENESIS_HASH, Link, Report, content_hash, verify


def build_chain(payloads: list[dict[str, Any]]) -> list[Link]:
    links, prev = [], GENESIS_HASH
    for seq, payload in enumerate(payloads, 1):
        content = {**payload, "seq": seq, "prev_hash": prev}
        digest = content_hash(content)
        links.append(Link(seq, content, prev, digest))
        prev = digest
    return links


def check(links: list[Link], head: tuple[int, str] | None = None) -> Report:
    by_hash = {link.entry_hash: link.seq for link in links}
    if head is None:
        head = (links[-1].seq, links[-1].entry_hash) if links else (0, GENESIS_HASH)
    return verify(links, head=head, seq_of_hash=by_hash.get)


payloads = st.lists(
    st.fixed_dictionaries({"action": st.text(max_size=8), "n": st.integers()}),
    min_size=2,
    max_size=20,
)


@given(payloads)
def test_an_untouched_chain_verifies(items: list[dict[str, Any]]) -> None:
    report = check(build_chain(items))
    assert report.ok
    assert report.checked == len(items)


def test_an_empty_log_verifies() -> None:
    assert check([]).ok


@given(payloads, st.data())
def test_altering_any_entry_is_found_at_that_entry(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    links = build_chain(items)
    index = data.draw(st.integers(0, len(links) - 1))
    link = links[index]
    links[index] = Link(
        link.seq, {**link.content, "action": "tampered!"}, link.prev_hash, link.entry_hash
    )
    report = check(links, head=(len(items), build_chain(items)[-1].entry_hash))
    assert report.finding is not None
    assert (report.finding.seq, report.finding.breach) == (index + 1, "altered")


@given(payloads, st.data())
def test_removing_any_entry_is_found(items: list[dict[str, Any]], data: st.DataObject) -> None:
    original = build_chain(items)
    index = data.draw(st.integers(0, len(original) - 1))
    links = original[:index] + original[index + 1 :]
    report = check(links, head=(original[-1].seq, original[-1].entry_hash))
    assert report.finding is not None
    assert report.finding.breach == "removed"
    assert report.finding.seq == index + 1


@given(payloads, st.data())
def test_swapping_two_entries_is_found(items: list[dict[str, Any]], data: st.DataObject) -> None:
    links = build_chain(items)
    i = data.draw(st.integers(0, len(links) - 2))
    j = data.draw(st.integers(i + 1, len(links) - 1))
    head = (links[-1].seq, links[-1].entry_hash)
    # Each row keeps its position (seq) but takes the other's stored content.
    a, b = links[i], links[j]
    links[i] = Link(a.seq, {**b.content, "seq": a.seq}, b.prev_hash, b.entry_hash)
    links[j] = Link(b.seq, {**a.content, "seq": b.seq}, a.prev_hash, a.entry_hash)
    report = check(links, head=head)
    assert report.finding is not None
    assert report.finding.seq == i + 1
    assert report.finding.breach in ("reordered", "altered")


def test_a_swap_with_the_next_entry_is_reported_as_reordering() -> None:
    links = build_chain([{"n": n} for n in range(5)])
    head = (links[-1].seq, links[-1].entry_hash)
    a, b = links[2], links[3]
    links[2] = Link(a.seq, {**b.content, "seq": a.seq}, b.prev_hash, b.entry_hash)
    links[3] = Link(b.seq, {**a.content, "seq": b.seq}, a.prev_hash, a.entry_hash)
    report = check(links, head=head)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.breach) == (3, "reordered")


def test_a_head_that_does_not_match_the_last_entry_is_found() -> None:
    links = build_chain([{"n": 1}, {"n": 2}])
    report = check(links, head=(2, "f" * 64))
    assert report.finding is not None
    assert report.finding.breach == "altered"
