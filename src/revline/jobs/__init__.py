"""Durable background jobs: rows in the ``jobs`` table, written in the transaction that
causes them, run by ``revline worker`` (or the in-process loop of ``revline serve``)."""
