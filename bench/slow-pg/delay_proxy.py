#!/usr/bin/env python3
"""A loopback TCP proxy that makes a server slow: every chunk a client sends reaches the server
--delay-ms later (in order); answers come back at once. In front of PostgreSQL each statement,
or each batch of statements sent together, so costs one extra delay: a database 2 ms away.

    python3 delay_proxy.py --listen-port 55532 --target-port 55432 --delay-ms 2

scripts/bench.sh starts it for its slow-database scenarios and stops it after them.
"""
import argparse
import asyncio
import signal


async def forward(reader, writer, delay):
    """Copies reader to writer; each chunk leaves `delay` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, chunk = await queue.get()
            if chunk is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while chunk := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, chunk))
    except ConnectionError:
        pass
    queue.put_nowait((0, None))
    try:
        await sender
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, required=True)
    args = parser.parse_args()
    delay = args.delay_ms / 1000

    async def connection(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", args.target_port)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(forward(client_reader, server_writer, delay), forward(server_reader, client_writer, 0))
        except asyncio.CancelledError:  # the proxy is stopping
            client_writer.close()
            server_writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", args.listen_port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
