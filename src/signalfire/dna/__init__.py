"""Forensic DNA statistics for STR profiles: a pure library (numpy only; no web, no SQL).

Locus and allele names (:mod:`~signalfire.dna.loci`), allele frequency tables
(:mod:`~signalfire.dna.frequencies`), and the statistics (:mod:`~signalfire.dna.stats`):
random match probability, kinship index, paternity index, pedmut mutation matrices and
the missing-person likelihood ratio of a reference pedigree (:mod:`~signalfire.dna.pedigree`).
"""

from __future__ import annotations

from signalfire.dna.frequencies import FrequencyTable, read_frequency_csv
from signalfire.dna.loci import CODIS_CORE, KNOWN_LOCI, canonical_allele, canonical_locus
from signalfire.dna.pedigree import missing_person_lr
from signalfire.dna.stats import (
    IBD_COEFFICIENTS,
    kinship_index,
    match_probability,
    mutation_matrix,
    paternity_index,
    probability_of_paternity,
)

__all__ = [
    "CODIS_CORE",
    "IBD_COEFFICIENTS",
    "KNOWN_LOCI",
    "FrequencyTable",
    "canonical_allele",
    "canonical_locus",
    "kinship_index",
    "match_probability",
    "missing_person_lr",
    "mutation_matrix",
    "paternity_index",
    "probability_of_paternity",
    "read_frequency_csv",
]
