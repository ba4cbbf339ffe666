"""Timed sockets and HTTP/1.1 framing under the SDK's httpx2 client, for plain-HTTP endpoints."""
