"""STR statistics: the pure maths of forensic DNA (numpy only; no web, no SQL, no core).

Locus and allele names (:mod:`~signalfire.strstats.loci`), allele frequency tables
(:mod:`~signalfire.strstats.frequencies`), the statistics (:mod:`~signalfire.strstats.stats`):
random match probability, kinship index, paternity index, pedmut mutation matrices and the
missing-person likelihood ratio of a reference pedigree (:mod:`~signalfire.strstats.pedigree`),
disaster-victim identification (:mod:`~signalfire.strstats.dvi`); stored-profile records
(:mod:`~signalfire.strstats.records`), laboratory CSV import within the upload limits
(:mod:`~signalfire.strstats.importer`, :mod:`~signalfire.strstats.limits`), search by
stringency with LR ranking (:mod:`~signalfire.strstats.search`) and the columnar profile
index that prefilters it (:mod:`~signalfire.strstats.index`).

Errors are plain ``ValueError`` (and its subclasses ``ImportFormatError``, ``CsvLimitError``),
``KeyError`` and ``TypeError``; the profile database (:mod:`signalfire.dna`) maps them to its
domain errors.
"""

from __future__ import annotations

from signalfire.strstats.frequencies import FrequencyTable, read_frequency_csv
from signalfire.strstats.loci import CODIS_CORE, KNOWN_LOCI, canonical_allele, canonical_locus
from signalfire.strstats.pedigree import missing_person_lr
from signalfire.strstats.stats import (
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
