"""Forensic DNA: the agency's STR profile database (the maths is :mod:`signalfire.strstats`).

Tables (``models``), request and response bodies (``schemas``), events (``events``), the
services: profiles (``service``), search (``search_service``, over the in-memory columnar
index of ``index_service``), frequency tables (``frequency_service``), familial search
(``familial``) and missing persons / DVI (``identification``); the printable match report
(``report``), the HTTP routes (``router``) and ``signalfire dna`` (``cli``). Profiles are
stored without names, per agency, and every use is audited.
"""
