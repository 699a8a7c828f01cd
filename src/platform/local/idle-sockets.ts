/**
 * How long a gateway connection may move no byte at all before it is closed. A dashboard stream whose
 * reader stopped reading is dropped by the live feed after its stall timeout, but its socket would stay
 * open with the unsent bytes queued; so would a client that stops sending half-way through a request.
 * Every live stream writes at least once per dashboard interval, so it is never idle this long.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/** Closes connections that move no byte for `timeoutMs`, in either direction. */
export function closeIdleSockets(
  server: { setTimeout(ms: number): unknown },
  timeoutMs = IDLE_SOCKET_TIMEOUT_MS,
): void {
  // With no 'timeout' listener on the server, Node destroys the socket when it fires.
  server.setTimeout(timeoutMs);
}
