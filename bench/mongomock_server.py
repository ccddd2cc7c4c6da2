"""A MongoDB wire-protocol server over mongomock, in a process of its own: for benchmarks.

    python bench/mongomock_server.py [--port 0]      # prints the port, serves until stdin closes

Why: a benchmark of a worker's memory needs the database in another process (the embedded
store would hold every document in the measured one), and a server that keeps up with
hundreds of thousands of documents. FerretDB v1 (SQLite) re-reads a whole collection for
every update, so 200,000 recipients' states would take hours; no MongoDB can be installed
here. This serves the commands pymongo and mongoengine use (the handshake, find/getMore,
insert, update, delete, findAndModify, aggregate, count, distinct, indexes, collections),
one at a time under a lock (so each command is atomic, as on MongoDB), and looks documents
up by ``_id`` directly when a filter names one (mongomock scans every document otherwise).

Not a database for anything else: no persistence, no auth, indexes are not enforced
except unique ones through mongomock, and what mongomock does not do, it does not do.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import socketserver
import struct
import sys
import threading
from datetime import UTC, datetime

import bson
import mongomock
from bson.codec_options import CodecOptions
from mongomock.collection import Collection
from mongomock.filtering import filter_applies
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

HEADER = struct.Struct("<iiii")  # messageLength, requestID, responseTo, opCode
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
OPTIONS = CodecOptions(tz_aware=False)
DEFAULT_BATCH = 101

_scan = Collection._iter_documents


def _iter_documents(self, filter):  # noqa: A002 - mongomock's name
    """mongomock's document iteration, with a direct lookup for a filter naming one ``_id``."""
    if isinstance(filter, dict) and "_id" in filter and not isinstance(filter["_id"], dict):
        document = self._store._documents.get(filter["_id"])
        return iter([document] if document is not None and filter_applies(filter, document)
                    else [])
    return _scan(self, filter)


Collection._iter_documents = _iter_documents


UNLOCKED = {"hello", "ismaster", "ping", "buildinfo", "endsessions"}
NO_LOCK = contextlib.nullcontext()


class Server:
    """The command handlers over one mongomock client; one command at a time."""

    def __init__(self) -> None:
        self.client = mongomock.MongoClient()
        self.lock = threading.Lock()
        self.cursors: dict[int, list] = {}
        self.ids = itertools.count(1)

    def run(self, command: dict) -> dict:
        name = next(iter(command))
        handler = getattr(self, "cmd_" + name.lower(), None)
        if handler is None:
            return {"ok": 0.0, "errmsg": f"no such command: {name!r}", "code": 59,
                    "codeName": "CommandNotFound"}
        database = self.client[command.get("$db", "test")]
        # the handshake and pings never wait for a long command (the client's monitor
        # would take the server for dead)
        lock = NO_LOCK if name.lower() in UNLOCKED else self.lock
        with lock:
            try:
                return {**handler(database, command[name], command), "ok": 1.0}
            except OperationFailure as err:
                return {"ok": 0.0, "errmsg": str(err), "code": err.code or 2}
            except Exception as err:  # noqa: BLE001 - any failure is the client's error reply
                return {"ok": 0.0, "errmsg": f"{type(err).__name__}: {err}", "code": 1}

    # -- the handshake and the server ----------------------------------------------------
    def cmd_hello(self, database, value, command) -> dict:
        return {"ismaster": True, "isWritablePrimary": True, "helloOk": True,
                "maxBsonObjectSize": 16 * 1024 * 1024, "maxMessageSizeBytes": 48_000_000,
                "maxWriteBatchSize": 100_000, "localTime": datetime.now(UTC),
                "logicalSessionTimeoutMinutes": 30, "connectionId": 1,
                "minWireVersion": 0, "maxWireVersion": 17, "readOnly": False}

    cmd_ismaster = cmd_hello

    def cmd_ping(self, database, value, command) -> dict:
        return {}

    def cmd_buildinfo(self, database, value, command) -> dict:
        return {"version": "6.0.0", "versionArray": [6, 0, 0, 0], "mongomockServer": True}

    def cmd_endsessions(self, database, value, command) -> dict:
        return {}

    # -- reading -------------------------------------------------------------------------
    def _cursor(self, namespace: str, documents, batch_size: int | None, first: str) -> dict:
        """A batch of ``documents`` (an iterator, read lazily) and a cursor on the rest."""
        documents = iter(documents)
        if batch_size == 0:  # everything at once
            return {"cursor": {"id": bson.int64.Int64(0), "ns": namespace,
                               first: list(documents)}}
        size = batch_size or DEFAULT_BATCH
        batch = list(itertools.islice(documents, size + 1))
        cursor_id = 0
        if len(batch) > size:
            cursor_id = next(self.ids)
            self.cursors[cursor_id] = [namespace, itertools.chain(batch[size:], documents)]
        return {"cursor": {"id": bson.int64.Int64(cursor_id), "ns": namespace,
                           first: batch[:size]}}

    def cmd_find(self, database, name, command) -> dict:
        collection = database[name]
        sort = list(command["sort"].items()) if command.get("sort") else None
        # mongomock's own cursor copies every match up front; its dataset copies lazily
        found = collection._get_dataset(command.get("filter") or {}, sort,
                                        command.get("projection"), dict)
        skip, limit = command.get("skip") or 0, command.get("limit") or 0
        found = itertools.islice(found, skip, skip + abs(limit) if limit else None)
        batch = command.get("batchSize")
        if command.get("singleBatch") or limit < 0:
            batch = 0
        return self._cursor(f"{database.name}.{name}", found, batch, "firstBatch")

    def cmd_getmore(self, database, cursor_id, command) -> dict:
        namespace, documents = self.cursors.pop(int(cursor_id), [None, []])
        if namespace is None:
            raise OperationFailure(f"cursor id {cursor_id} not found", 43)
        return self._cursor(namespace, documents, command.get("batchSize"), "nextBatch")

    def cmd_killcursors(self, database, name, command) -> dict:
        killed = [c for c in command.get("cursors", []) if self.cursors.pop(int(c), None)]
        return {"cursorsKilled": killed, "cursorsNotFound": [], "cursorsAlive": [],
                "cursorsUnknown": []}

    def cmd_aggregate(self, database, name, command) -> dict:
        found = database[name].aggregate(command.get("pipeline") or [])
        return self._cursor(f"{database.name}.{name}", found,
                            (command.get("cursor") or {}).get("batchSize"), "firstBatch")

    def cmd_count(self, database, name, command) -> dict:
        return {"n": database[name].count_documents(command.get("query") or {})}

    def cmd_distinct(self, database, name, command) -> dict:
        return {"values": database[name].distinct(command["key"], command.get("query"))}

    # -- writing -------------------------------------------------------------------------
    def cmd_insert(self, database, name, command) -> dict:
        errors, n = [], 0
        for index, document in enumerate(command.get("documents") or []):
            try:
                database[name].insert_one(document)
                n += 1
            except DuplicateKeyError as err:
                errors.append({"index": index, "code": 11000, "errmsg": str(err)})
                if command.get("ordered", True):
                    break
        return {"n": n, **({"writeErrors": errors} if errors else {})}

    def cmd_update(self, database, name, command) -> dict:
        errors, upserted, matched, modified = [], [], 0, 0
        for index, spec in enumerate(command.get("updates") or []):
            method = database[name].update_many if spec.get("multi") else \
                database[name].update_one
            try:
                result = method(spec["q"], spec["u"], upsert=bool(spec.get("upsert")))
            except DuplicateKeyError as err:
                errors.append({"index": index, "code": 11000, "errmsg": str(err)})
                if command.get("ordered", True):
                    break
                continue
            matched += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                upserted.append({"index": index, "_id": result.upserted_id})
        reply = {"n": matched + len(upserted), "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        if errors:
            reply["writeErrors"] = errors
        return reply

    def cmd_delete(self, database, name, command) -> dict:
        n = 0
        for spec in command.get("deletes") or []:
            method = database[name].delete_one if spec.get("limit") == 1 else \
                database[name].delete_many
            n += method(spec["q"]).deleted_count
        return {"n": n}

    def cmd_findandmodify(self, database, name, command) -> dict:
        collection = database[name]
        query, sort = command.get("query") or {}, command.get("sort")
        sort = list(sort.items()) if sort else None
        fields = command.get("fields")
        if command.get("remove"):
            value = collection.find_one_and_delete(query, projection=fields, sort=sort)
            return {"value": value, "lastErrorObject": {"n": int(value is not None)}}
        existed = collection.find_one(query, sort=sort) is not None
        try:
            value = collection.find_one_and_update(
                query, command["update"], projection=fields, sort=sort,
                upsert=bool(command.get("upsert")),
                return_document=ReturnDocument.AFTER if command.get("new") else
                ReturnDocument.BEFORE)
        except DuplicateKeyError as err:
            raise OperationFailure(str(err), 11000) from None
        done = existed or bool(command.get("upsert"))
        return {"value": value, "lastErrorObject": {"n": int(done),
                                                    "updatedExisting": existed}}

    # -- collections and indexes ---------------------------------------------------------
    def cmd_createindexes(self, database, name, command) -> dict:
        for spec in command.get("indexes") or []:
            options = {k: v for k, v in spec.items()
                       if k in ("name", "unique", "sparse", "expireAfterSeconds")}
            database[name].create_index(list(spec["key"].items()), **options)
        return {"createdCollectionAutomatically": False}

    def cmd_listindexes(self, database, name, command) -> dict:
        if name not in database.list_collection_names():
            raise OperationFailure(f"ns does not exist: {database.name}.{name}", 26)
        return self._cursor(f"{database.name}.{name}", database[name].list_indexes(), None,
                            "firstBatch")

    def cmd_listcollections(self, database, value, command) -> dict:
        names = [{"name": n, "type": "collection", "options": {}, "info": {"readOnly": False}}
                 for n in database.list_collection_names()]
        return self._cursor(f"{database.name}.$cmd.listCollections", names, None, "firstBatch")

    def cmd_create(self, database, name, command) -> dict:
        database.create_collection(name)
        return {}

    def cmd_drop(self, database, name, command) -> dict:
        database.drop_collection(name)
        return {}

    def cmd_dropdatabase(self, database, value, command) -> dict:
        self.client.drop_database(database.name)
        return {}


class Handler(socketserver.BaseRequestHandler):
    server: Listener

    def handle(self) -> None:
        connection = self.request
        while True:
            header = _read(connection, HEADER.size)
            if header is None:
                return
            length, request_id, _, opcode = HEADER.unpack(header)
            body = _read(connection, length - HEADER.size)
            if body is None:
                return
            if opcode == OP_MSG:
                reply = self._message(body)
                connection.sendall(_pack(reply, request_id))
            elif opcode == OP_QUERY:
                connection.sendall(self._query(body, request_id))
            else:
                return

    def _message(self, body: bytes) -> dict:
        offset, command = 4, None  # flagBits first
        sequences: dict[str, list] = {}
        while offset < len(body):
            kind = body[offset]
            offset += 1
            size = struct.unpack_from("<i", body, offset)[0]
            if kind == 0:
                command = bson.decode(body[offset:offset + size], OPTIONS)
            else:  # a document sequence: size, identifier, documents
                end = offset + size
                start = body.index(b"\0", offset + 4)
                identifier = body[offset + 4:start].decode()
                sequences[identifier] = bson.decode_all(body[start + 1:end], OPTIONS)
            offset += size
        return self.server.app.run({**command, **sequences})

    def _query(self, body: bytes, request_id: int) -> bytes:
        """The legacy handshake (OP_QUERY on ``admin.$cmd``), answered with OP_REPLY."""
        start = body.index(b"\0", 4) + 1 + 8  # flags, the collection's name, skip, return
        size = struct.unpack_from("<i", body, start)[0]
        command = bson.decode(body[start:start + size], OPTIONS)
        name = next(iter(command))
        reply = self.server.app.run({name: command[name], "$db": "admin"})
        document = bson.encode(reply)
        payload = struct.pack("<iqii", 8, 0, 0, 1) + document
        return HEADER.pack(HEADER.size + len(payload), 0, request_id, OP_REPLY) + payload


def _read(connection, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _pack(reply: dict, request_id: int) -> bytes:
    payload = struct.pack("<i", 0) + b"\0" + bson.encode(reply)
    return HEADER.pack(HEADER.size + len(payload), 0, request_id, OP_MSG) + payload


class Listener(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.app = Server()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    listener = Listener(args.port)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    print(listener.server_address[1], flush=True)
    sys.stdin.read()  # serve until the caller closes our standard input
    listener.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
