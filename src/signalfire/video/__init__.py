"""Video analytics, as pure composable stages (no web, no database).

decode (PyAV) → motion gate (background subtraction on a small grey copy) → detector
plug-in → tracker (ByteTrack) → rules (zones, lines, dwell, counts, after-hours motion)
→ events. :class:`signalfire.video.pipeline.Pipeline` chains the stages for one camera.

**No identification.** These stages detect *that* something happens, never *who* is there.
There is no face or body recognition, no re-identification within or across cameras and no
watch list, and the plug-in interface has nowhere to put one: a detection is a box, a score
and a class name, a track id only says "the same box moved" within one camera run.
"""
