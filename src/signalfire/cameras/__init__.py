"""CCTV: the camera registry, health, analysis workers, events, recording and exports.

Cameras report *events* (a line crossed, a zone entered, smoke), never identities: no
face or body recognition, no re-identification, no watch lists.
"""
