"""DNA database search at national scale: 20 million simulated 20-locus profiles, one core.

Profiles are drawn from the NIST 1036 allele frequencies (the shared data folder, read by
the product's own CSV importer) at the CODIS 20 core loci and held in
:class:`signalfire.strstats.index.ProfileIndex`. Timed: a high-stringency search for a stored
profile, a moderate search for a stored profile with three loci dropped and one allele
dropped out, and a full-sibling kinship scan keeping the top 100; each prefilter result
then goes through the pure ranking (:func:`signalfire.strstats.search.search`). Also timed:
the first search after one profile is imported, with the index updated with the change
(``ProfileIndex.changed``, what each replica does) or rebuilt from every profile.

Peer in the same run: a plain numpy scan that compares all 20 columns of every row
(``(codes == query) | (codes == 0)`` and a row-wise ``all``), the obvious vectorised way.

Run: ``.venv/bin/python -m bench.dna_search [--profiles N]`` (N defaults to 20,000,000).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bench.harness import machine, record
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.importer import parse_profiles
from signalfire.strstats.index import KinshipHit, ProfileIndex, genotype_code
from signalfire.strstats.loci import CODIS_CORE
from signalfire.strstats.search import Hit, SearchProfile, search

NIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "dna" / "nist1036"
REPEATS = 5
REBUILT = 100_000  # profiles coded again by the rebuild the update in place is set against
T = TypeVar("T")


def nist_table() -> FrequencyTable:
    """Allele frequencies of the 1,036 NIST profiles (5/2N minimum)."""
    csv = (Path(os.environ.get("SIGNALFIRE_NIST_DIR", NIST)) / "genotypes.csv").read_text()
    parsed = parse_profiles(csv, index="offender", case_number="NIST")
    genotypes = [{lo: (a[0], a[-1]) for lo, a in p.loci.items()} for p in parsed.profiles]
    return FrequencyTable.from_genotypes(genotypes)


def simulated(table: FrequencyTable, count: int, seed: int = 1036) -> ProfileIndex:
    """``count`` profiles, alleles drawn independently from ``table`` at the CODIS 20."""
    rng = np.random.default_rng(seed)
    loci = tuple(sorted(CODIS_CORE))
    alleles = {locus: list(table.alleles(locus)) for locus in loci}
    codes = np.empty((len(loci), count), dtype=np.uint16)
    for row, locus in enumerate(loci):
        p = np.array(list(table.alleles(locus).values()))
        first = rng.choice(len(p), size=count, p=p / p.sum())
        second = rng.choice(len(p), size=count, p=p / p.sum())
        low, high = np.minimum(first, second), np.maximum(first, second)
        codes[row] = high * (high + 1) // 2 + low + 1
    return ProfileIndex(loci, alleles, codes, np.arange(1, count + 1, dtype=np.int64))


def stored(index: ProfileIndex, row: int) -> SearchProfile:
    """The profile at ``row`` of the index, as the database would load it."""
    loci: dict[str, tuple[str, ...]] = {}
    for position, locus in enumerate(index.loci):
        code, names = int(index.codes[position, row]), index.alleles[locus]
        high = next(j for j in range(len(names)) if genotype_code(0, j + 1) > code)
        low = code - genotype_code(0, high)
        loci[locus] = (names[low], names[high])
    return SearchProfile(int(index.keys[row]), f"S{row}", loci)


def degraded(profile: SearchProfile, rng: np.random.Generator) -> SearchProfile:
    """Three loci dropped and, at a heterozygous locus, one allele dropped out."""
    kept = list(profile.loci)
    for locus in rng.choice(kept, size=3, replace=False):
        kept.remove(str(locus))
    loci = {locus: profile.loci[locus] for locus in kept}
    het = next(locus for locus in kept if len(set(loci[locus])) == 2)
    loci[het] = (loci[het][0], loci[het][0])
    return SearchProfile(None, "degraded", loci)


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Median seconds of ``REPEATS`` runs of ``work`` and its last result."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_high(index: ProfileIndex, query: SearchProfile) -> npt.NDArray[np.int64]:
    """Peer: compare every column of every row, then keep rows equal or untyped everywhere."""
    wanted = np.array(
        [
            genotype_code(*sorted(index.alleles[lo].index(a) for a in query.loci[lo]))
            for lo in index.loci
        ],
        dtype=np.uint16,
    )[:, None]
    keep: npt.NDArray[np.bool_] = ((index.codes == wanted) | (index.codes == 0)).all(axis=0)
    return index.keys[keep]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=20_000_000)
    count = parser.parse_args().profiles
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one CPU core
    table = nist_table()
    start = time.perf_counter()
    index = simulated(table, count)
    build_s = time.perf_counter() - start
    rng = np.random.default_rng(7)
    rows = [int(r) for r in rng.choice(count, size=REPEATS, replace=False)]
    queries = [stored(index, row) for row in rows]

    def high() -> list[Hit]:
        keys = index.prefilter(queries[0], stringency="high", min_loci=10)
        rows = [stored(index, int(k) - 1) for k in keys]
        return search(queries[0], rows, stringency="high", min_loci=10, table=table)

    partial = degraded(queries[0], rng)

    def moderate() -> list[Hit]:
        keys = index.prefilter(partial, stringency="moderate", min_loci=10)
        rows = [stored(index, int(k) - 1) for k in keys]
        return search(partial, rows, stringency="moderate", min_loci=10, table=table)

    def kinship() -> list[KinshipHit]:
        genotypes = {lo: (a[0], a[-1]) for lo, a in queries[1].loci.items()}
        return index.kinship_scan(genotypes, "full-sib", table, top=100, exclude=[rows[1] + 1])

    start = time.perf_counter()
    index.kinship_columns()  # made once, by the first scan
    pack_s = time.perf_counter() - start
    high_s, high_hits = timed(high)
    moderate_s, moderate_hits = timed(moderate)
    kinship_s, kinship_hits = timed(kinship)
    naive_s, naive_keys = timed(lambda: naive_high(index, queries[0]))
    found = [h.profile.key for h in high_hits]
    assert found[:1] == [rows[0] + 1], "the stored profile must find itself"
    assert [h.profile.key for h in moderate_hits][:1] == [rows[0] + 1]
    assert set(found) == set(naive_keys.tolist())
    high_found = f"{len(found)} hit(s), itself first"
    moderate_found = f"{len(moderate_hits)} hit(s), the source first"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    new = SearchProfile(count + 1, "new", queries[2].loci)
    sample = [stored(index, row) for row in range(min(count, REBUILT))]
    small, current = ProfileIndex.build(sample), index.changed()  # as `build` codes them
    for searched in (small, current):  # a replica's index has served searches before
        searched.prefilter(new, stringency="high", min_loci=10)

    def first_search(update: Callable[[], ProfileIndex]) -> Callable[[], npt.NDArray[np.int64]]:
        return lambda: update().prefilter(new, stringency="high", min_loci=10)

    rebuild_s, _ = timed(first_search(lambda: ProfileIndex.build([*sample, new])))
    apply_small_s, _ = timed(first_search(lambda: small.changed(added=[new])))
    apply_s, applied = timed(first_search(lambda: current.changed(added=[new])))
    assert count + 1 in applied.tolist(), "the imported profile must be found"
    record(
        "DNA database search",
        f"""
Command: `.venv/bin/python -m bench.dna_search` ({machine()}, pinned to one core;
1-minute load average {load:.2f} when it finished).

{count:,} simulated profiles at the CODIS 20 core loci, alleles drawn from the NIST 1036
frequencies, in `signalfire.strstats.index.ProfileIndex` (one `uint16` genotype code per locus:
{index.nbytes / 2**20:,.0f} MiB; process peak RSS {peak_mib:,.0f} MiB; simulating the
profiles took {build_s:.1f} s). Median of {REPEATS} runs; each search includes the pure
ranking of what the prefilter keeps.

| operation | seconds | target | result |
|---|---:|---:|---|
| high stringency, a stored profile (20 loci) | {high_s:.3f} | < 0.3 | {high_found} |
| moderate, 3 loci dropped + 1 allele drop-out | {moderate_s:.3f} | < 1.5 | {moderate_found} |
| full-sibling kinship scan, top 100 | {kinship_s:.3f} | < 2.5 | {len(kinship_hits)} leads |
| (once) pairing loci into `uint16` columns for scans | {pack_s:.3f} | | |
| peer: plain numpy scan of all 20 columns (high) | {naive_s:.3f} | | same hits |

The first search (high) after importing one profile into an index that has served searches,
timed after the peak RSS above; a rebuild codes every profile again (about
{rebuild_s / len(sample) * 1e6:.0f} µs each here, so not run for {count:,}; a replica also reads
them all from the database first):

| profiles stored | index updated with the change (`changed`) | rebuilt from every profile |
|---:|---:|---:|
| {len(sample):,} | {apply_small_s:.3f} s | {rebuild_s:.3f} s |
| {count:,} | {apply_s:.3f} s | (not run) |
""",
    )
    print(
        f"high {high_s:.3f} s, moderate {moderate_s:.3f} s, kinship {kinship_s:.3f} s, "
        f"naive {naive_s:.3f} s, index {index.nbytes / 2**20:.0f} MiB, peak {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
