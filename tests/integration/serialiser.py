"""A MongoDB wire-protocol proxy that lets one request at a time through.

FerretDB v1 applies an update as a read followed by a blind write of the whole document,
so two updates of one document at the same moment can lose one of them (see
``test_server_atomicity.py``). MongoDB makes every single-document write atomic, and that
is the one guarantee the models' concurrency rests on. In front of FerretDB this proxy
provides it by forwarding one request at a time; the interleaving *between* commands,
where an application's races live, stays as free as on MongoDB. (It serialises more than
MongoDB does: a multi-document write becomes atomic too. Nothing here relies on that.)

Run as a script, it prints its port and serves until its standard input closes:

    python tests/integration/serialiser.py 127.0.0.1:27017

Only the standard library: it runs beside any interpreter.
"""

from __future__ import annotations

import asyncio
import struct
import sys
import threading

HEADER = struct.Struct("<iiii")  # messageLength, requestID, responseTo, opCode
OP_MSG = 2013
MORE_TO_COME = 1 << 1  # OP_MSG flag: no reply follows (request), or another reply follows


async def _read_message(reader: asyncio.StreamReader) -> bytes | None:
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError:
        return None
    length = HEADER.unpack(header)[0]
    return header + await reader.readexactly(length - HEADER.size)


def _more_to_come(message: bytes) -> bool:
    if HEADER.unpack_from(message)[3] != OP_MSG:
        return False
    return bool(struct.unpack_from("<I", message, HEADER.size)[0] & MORE_TO_COME)


async def serve(upstream_host: str, upstream_port: int) -> asyncio.Server:
    turn = asyncio.Lock()

    async def relay(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(upstream_host,
                                                                         upstream_port)
        except OSError:
            client_writer.close()
            return
        try:
            while (request := await _read_message(client_reader)) is not None:
                async with turn:
                    server_writer.write(request)
                    await server_writer.drain()
                    if _more_to_come(request):
                        continue
                    while (reply := await _read_message(server_reader)) is not None:
                        client_writer.write(reply)
                        if not _more_to_come(reply):
                            break
                    else:
                        return  # the server hung up
                await client_writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            server_writer.close()
            client_writer.close()

    return await asyncio.start_server(relay, "127.0.0.1", 0)


async def _main(upstream: str) -> None:
    host, _, port = upstream.rpartition(":")
    server = await serve(host, int(port))
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    # the parent holds our stdin: when it goes (also when it is killed), so do we
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(
        done.set_result, None)), daemon=True).start()
    async with server:
        await done


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: serialiser.py HOST:PORT")
    asyncio.run(_main(sys.argv[1]))
