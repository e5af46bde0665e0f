"""Forensic DNA: STR statistics (a pure library) and the agency's profile database.

The pure modules (numpy only; no web, no SQL): locus and allele names
(:mod:`~signalfire.dna.loci`), allele frequency tables (:mod:`~signalfire.dna.frequencies`),
the statistics (:mod:`~signalfire.dna.stats`): random match probability, kinship index,
paternity index, pedmut mutation matrices and the missing-person likelihood ratio of a
reference pedigree (:mod:`~signalfire.dna.pedigree`); stored-profile records
(:mod:`~signalfire.dna.records`), laboratory CSV import (:mod:`~signalfire.dna.importer`)
and database search by stringency with LR ranking (:mod:`~signalfire.dna.search`).

The database (``models``, ``schemas``, ``service``, ``searching``, ``frequency_service``,
``router``) stores profiles without names, per agency, and audits every use.
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
