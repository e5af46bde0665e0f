"""CCTV: the camera registry, health, analysis workers, events, recording and exports.

Cameras report *events* (a line crossed, a zone entered, smoke), never identities: no
face or body recognition, no re-identification, no watch lists.

Sub-packages, one job each:

- :mod:`~signalfire.cameras.registry`: the cameras themselves (service, schemas, HTTP
  routes, source URLs) and reading their stored camera events and pictures.
- :mod:`~signalfire.cameras.workers`: the analysis workers (local processes or Ray
  actors), their supervisor with its camera leases (one supervisor per camera across
  replicas), and the ingest that stores what they report.
- :mod:`~signalfire.cameras.recordings`: the segment writer, recordings and evidence
  holds, clip exports, retention and the files on disk.

Shared by the three: :mod:`~signalfire.cameras.models` (the tables),
:mod:`~signalfire.cameras.events` (the bus events) and :mod:`~signalfire.cameras.cli`.

"Event" has four meanings here; each has its own word:

- **pipeline event**: what a rule of :mod:`signalfire.video` produces inside a worker
  (``signalfire.video.pipeline.Event``); it never leaves the worker as such.
- **worker message**: what a worker sends the supervisor, plain picklable data
  (:mod:`~signalfire.cameras.workers.messages`: ``RuleFiredReport`` for a pipeline event,
  ``HealthReport``, ``SnapshotReport``, ``SegmentReport``).
- **camera event**: the stored row a ``RuleFiredReport`` becomes (``models.CameraEvent``,
  served by :mod:`~signalfire.cameras.registry.camera_events` and ``/api/cameras/{id}/events``).
- **bus event**: a typed :class:`signalfire.core.events.Event` subclass published after
  commit (:mod:`~signalfire.cameras.events`, e.g. ``CameraEventDetected`` when a camera
  event was stored).
"""
