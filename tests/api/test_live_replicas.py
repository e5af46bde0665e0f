"""The live stream across replicas on NATS JetStream (issue 17, item 3): a console on
replica B sees writes made on replica A, and resumes on A from the ``since`` it had on B
with nothing lost and nothing repeated."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from signalfire.api.app import create_app
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from tests.api.test_live import next_incident_delta, open_incident
from tests.conftest import World


def test_a_console_follows_writes_on_another_replica_and_resumes_there(
    replicas: Callable[[str], Runtime],
) -> None:
    a, b = replicas("a"), replicas("b")
    world = World(a)
    agency = world.agency("FIRE")
    token = world.token(world.user("fire.disp", agency, [Role.DISPATCHER], password=None))
    url = f"/api/live?token={token}"
    seen: list[tuple[int, str]] = []
    with TestClient(create_app(a)) as on_a, TestClient(create_app(b)) as on_b:
        with on_b.websocket_connect(url) as socket:
            snapshot = socket.receive_json()
            assert snapshot["type"] == "snapshot"
            epoch = snapshot["epoch"]
            written = [open_incident(on_a, token, n) for n in range(3)]
            for _ in written:
                delta = next_incident_delta(socket)
                seen.append((delta["seq"], delta["data"]["incident"]["number"]))
        assert [number for _, number in seen] == written
        # B's console drops; writes go on (on B); it reconnects to A with what it had.
        missed = [open_incident(on_b, token, n) for n in range(3, 6)]
        since = seen[-1][0]
        with on_a.websocket_connect(f"{url}&since={since}&epoch={epoch}") as socket:
            assert socket.receive_json() == {"type": "resume", "epoch": epoch, "since": since}
            for _ in missed:
                delta = next_incident_delta(socket)
                seen.append((delta["seq"], delta["data"]["incident"]["number"]))
            latest = open_incident(on_a, token, 9)
            delta = next_incident_delta(socket)
            seen.append((delta["seq"], delta["data"]["incident"]["number"]))
    seqs = [seq for seq, _ in seen]
    assert seqs == sorted(set(seqs)), "numbers strictly increase: nothing repeated"
    assert [number for _, number in seen] == [*written, *missed, latest], "nothing lost"


def test_replicas_share_the_epoch_and_numbering(replicas: Callable[[str], Runtime]) -> None:
    a, b = replicas("a"), replicas("b")
    hub_a, hub_b = create_app(a).state.live_hub, create_app(b).state.live_hub
    assert hub_a.epoch == hub_b.epoch
    assert a.bus.first_seq is not None
