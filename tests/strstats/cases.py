"""Shared test cases for the DNA statistics: a locus with named alleles, random loci."""

from __future__ import annotations

from hypothesis import strategies as st

LocusCase = tuple[dict[str, float], tuple[str, str], tuple[str, str]]

# Allele names used in the formula tables: p, q, r, s and two more to fill the locus.
P, Q, R, S = "10", "11", "12", "13"
F = {P: 0.1, Q: 0.2, R: 0.3, S: 0.15, "14": 0.05, "15": 0.2}
p, q, r = F[P], F[Q], F[R]
FREQS = {"D8S1179": F}


def at(genotype: tuple[str, str]) -> dict[str, tuple[str, str]]:
    return {"D8S1179": genotype}


@st.composite
def locus_case(draw: st.DrawFn) -> LocusCase:
    """Random allele frequencies (2-6 alleles) and two genotypes drawn from them."""
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6))
    alleles = [str(8 + i) for i in range(len(weights))]
    freqs = {a: w / sum(weights) for a, w in zip(alleles, weights, strict=True)}
    pick = st.sampled_from(alleles)
    return freqs, (draw(pick), draw(pick)), (draw(pick), draw(pick))
