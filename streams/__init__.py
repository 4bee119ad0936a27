"""Streaming: Kafka in and out, the pure stage functions and the PyFlink jobs that wire them."""
