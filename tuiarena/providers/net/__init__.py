"""Timed sockets, HTTP/1.1 framing and wire records for the OpenAI-compatible provider."""
