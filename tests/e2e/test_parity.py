"""Parity oracle: live results equal a fresh run of their query once the writes stop.

Several connections write random mutations while others hold subscriptions over the same
data; at the end every subscriber's last value for every query must equal a fresh query.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from typing import Any

import httpx
import websockets

from livebase.server.protocol import decode_ts

AUTHORS = ["ann", "bob", "cid"]
QUERIES: list[tuple[str, dict[str, Any]]] = [("notes:byAuthor", {"author": a}) for a in AUTHORS] + [
    ("notes:listAll", {}),
    ("notes:scored", {"author": "bob", "min": 3}),
    ("counters:get", {"name": "hits"}),
    ("notes:page", {"paginationOpts": {"numItems": 4, "cursor": None}}),
]


class Subscriber:
    def __init__(self, url: str, queries: list[tuple[str, dict[str, Any]]]) -> None:
        self.url = url
        self.queries = queries
        self.values: dict[int, Any] = {}
        self.ts = 0

    async def run(self, ready: asyncio.Event, stop: asyncio.Event, sync: asyncio.Event) -> None:
        async with websockets.connect(self.url) as ws:
            await ws.send(
                json.dumps(
                    {
                        "type": "Connect",
                        "sessionId": str(uuid.uuid4()),
                        "connectionCount": 0,
                        "lastCloseReason": None,
                        "clientTs": 0,
                    }
                )
            )
            mods = [
                {"type": "Add", "queryId": i, "udfPath": p, "args": [a]}
                for i, (p, a) in enumerate(self.queries)
            ]
            await ws.send(
                json.dumps(
                    {
                        "type": "ModifyQuerySet",
                        "baseVersion": 0,
                        "newVersion": 1,
                        "modifications": mods,
                    }
                )
            )
            synced = False
            while not stop.is_set():
                if sync.is_set() and not synced:
                    # a query-set change makes the server move this client to its latest ts
                    synced = True
                    await ws.send(
                        json.dumps(
                            {
                                "type": "ModifyQuerySet",
                                "baseVersion": 1,
                                "newVersion": 2,
                                "modifications": [
                                    {
                                        "type": "Add",
                                        "queryId": 999,
                                        "udfPath": "counters:get",
                                        "args": [{"name": "_"}],
                                    }
                                ],
                            }
                        )
                    )
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                except TimeoutError:
                    continue
                if message["type"] != "Transition":
                    continue
                for mod in message["modifications"]:
                    if mod["queryId"] == 999:
                        continue
                    if mod["type"] == "QueryUpdated":
                        self.values[mod["queryId"]] = mod["value"]
                    else:
                        self.values[mod["queryId"]] = ("failed", mod)
                if message["endVersion"]["querySet"] == 2:
                    self.ts = decode_ts(message["endVersion"]["ts"])
                if len(self.values) == len(self.queries):
                    ready.set()


async def writer(url: str, seed: int, count: int) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    async with websockets.connect(url) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "Connect",
                    "sessionId": str(uuid.uuid4()),
                    "connectionCount": 0,
                    "lastCloseReason": None,
                    "clientTs": 0,
                }
            )
        )
        for request_id in range(count):
            roll = rng.random()
            if roll < 0.5 or not mine:
                path, args = (
                    "notes:addNote",
                    {"author": rng.choice(AUTHORS), "body": str(roll), "score": rng.randint(0, 6)},
                )
            elif roll < 0.65:
                path, args = "notes:edit", {"id": rng.choice(mine), "body": "edited"}
            elif roll < 0.8:
                victim = mine.pop(rng.randrange(len(mine)))
                path, args = "notes:remove", {"id": victim}
            else:
                path, args = "counters:increment", {"name": "hits"}
            await ws.send(
                json.dumps(
                    {"type": "Mutation", "requestId": request_id, "udfPath": path, "args": [args]}
                )
            )
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "MutationResponse":
                    break
            assert message["success"], message
            if path == "notes:addNote":
                mine.append(message["result"])


def sync_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/api/sync"


async def latest_ts(base_urls: list[str]) -> int:
    """The newest commit every server knows of, once they all agree (they follow each
    other's commits when several serve one deployment)."""
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            stamps = {
                decode_ts((await http.post(f"{u}/api/query_ts")).json()["ts"]) for u in base_urls
            }
            if len(stamps) == 1:
                break
            await asyncio.sleep(0.05)
    return max(stamps)


async def scenario(base_urls: str | list[str]) -> tuple[list[Subscriber], int]:
    """Subscribers and writers spread round-robin over ``base_urls`` (one server or several
    serving one deployment)."""
    urls = [base_urls] if isinstance(base_urls, str) else base_urls
    rng = random.Random(7)
    subscribers = [
        Subscriber(
            sync_url(urls[i % len(urls)]), rng.sample(QUERIES, k=rng.randint(2, len(QUERIES)))
        )
        for i in range(6)
    ]
    stop = asyncio.Event()
    sync = asyncio.Event()
    readies = [asyncio.Event() for _ in subscribers]
    tasks = [
        asyncio.create_task(s.run(r, stop, sync)) for s, r in zip(subscribers, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 20)
    writers = (writer(sync_url(urls[seed % len(urls)]), seed, 40) for seed in range(4))
    await asyncio.wait_for(asyncio.gather(*writers), 60)
    final = await latest_ts(urls)
    sync.set()
    for _ in range(200):
        if all(s.ts >= final for s in subscribers):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks)
    return subscribers, final


def check_parity(subscribers: list[Subscriber], final: int) -> None:
    """Every subscriber's last value of each query equals a fresh run on its own server."""
    for subscriber in subscribers:
        base = subscriber.url.replace("ws://", "http://").removesuffix("/api/sync")
        with httpx.Client(base_url=base) as http:
            assert subscriber.ts >= final
            for query_id, (path, args) in enumerate(subscriber.queries):
                if path == "notes:page":
                    # a live page keeps the end it first had (the query journal): compare with
                    # a fresh read of the same range
                    end = subscriber.values[query_id]["continueCursor"]
                    args = {"paginationOpts": {**args["paginationOpts"], "endCursor": end}}
                fresh = http.post(
                    "/api/query", json={"path": path, "args": args, "format": "convex_encoded_json"}
                ).json()
                assert fresh["status"] == "success"
                assert subscriber.values[query_id] == fresh["value"], (path, args)


def test_every_live_result_equals_a_fresh_query_after_concurrent_writes(server):
    check_parity(*asyncio.run(scenario(server.url)))
