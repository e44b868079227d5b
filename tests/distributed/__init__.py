"""Distributed mode with real processes: PostgreSQL, RabbitMQ or Redis, `postroom worker`."""
