"""Bots built on the engine beside the shop (``examples/cafe``: table booking at a cafe)."""
